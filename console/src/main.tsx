import '@mantine/core/styles.css';
import './console.css';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { MantineProvider, createTheme, type CSSVariablesResolver } from '@mantine/core';
import { Router } from 'wouter';
import { App } from './App';
import { ACCESSIBLE_THEME, READABLE_LIGHT } from '../../web-shared/theme';

// The nonce the server put in the page: the content security policy lets
// only style elements carrying it apply (Mantine writes its theme into one).
const nonce = document.querySelector<HTMLMetaElement>('meta[name="csp-nonce"]')?.content ?? '';

const theme = createTheme({ primaryColor: 'blue', defaultRadius: 'sm', ...ACCESSIBLE_THEME });
// Secondary text dark enough for WCAG AA contrast (see web-shared/theme.ts).
const resolver: CSSVariablesResolver = () => ({ variables: {}, light: READABLE_LIGHT, dark: {} });

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <MantineProvider theme={theme} getStyleNonce={() => nonce} cssVariablesResolver={resolver} defaultColorScheme="light">
      <Router base="/console">
        <App />
      </Router>
    </MantineProvider>
  </StrictMode>,
);
