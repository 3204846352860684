// Colours both apps give Mantine on top of its defaults, for WCAG 2.1 AA
// contrast (success criterion 1.4.3: 4.5:1 for body text). Mantine's
// "dimmed" secondary text is gray-6 (#868e96), 3.3:1 on white; gray-7
// (#495057) is 8.2:1 and still reads as secondary next to black.

/** CSS variables for MantineProvider's `cssVariablesResolver`, light scheme. */
export const READABLE_LIGHT: Record<string, string> = {
  '--mantine-color-dimmed': 'var(--mantine-color-gray-7)',
  '--mantine-color-placeholder': 'var(--mantine-color-gray-6)',
  // Light badges and alerts write shade 9 on a 10 % tint of shade 6; for
  // these palettes that is under 4.5:1 (green 4.0, yellow 2.8, orange 3.9,
  // lime 3.4), so their text is a darker tone of the same hue (5.5:1 or more).
  '--mantine-color-green-light-color': '#1e6b30',
  '--mantine-color-yellow-light-color': '#7a4500',
  '--mantine-color-orange-light-color': '#a33a0b',
  '--mantine-color-lime-light-color': '#466f0a',
  '--mantine-color-teal-light-color': '#066649',
};

/**
 * Theme settings for AA contrast of coloured text and controls: filled
 * buttons, badges, links and outlines use shade 9 (every default palette's
 * shade 9 is at least 4.3:1 on white, and 5.9:1 but green's); the text on
 * a filled colour is black or white, whichever is farther from it — at a
 * luminance threshold of 0.18 either choice clears 4.5:1 (WCAG's
 * contrast formula: white needs L ≤ 0.183, black L ≥ 0.175).
 */
export const ACCESSIBLE_THEME = {
  primaryShade: { light: 9, dark: 8 },
  autoContrast: true,
  luminanceThreshold: 0.18,
} as const;
