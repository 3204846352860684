// The scopes an app asks for, each with what it allows: on the consent
// page and on the device approval page.
import { List, Text } from '@mantine/core';

export function ScopeList({ scopes, empty }: { scopes: { name: string; description: string }[]; empty: string }) {
  if (!scopes.length) return <Text>{empty}</Text>;
  return (
    <List aria-label="Scopes asked">
      {scopes.map((s) => (
        <List.Item key={s.name}>
          <Text component="span" ff="monospace">
            {s.name}
          </Text>
          {s.description && ` — ${s.description}`}
        </List.Item>
      ))}
    </List>
  );
}
