import '@mantine/core/styles.css';
import './console.css';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { MantineProvider, createTheme } from '@mantine/core';
import { Router } from 'wouter';
import { App } from './App';

// The nonce the server put in the page: the content security policy lets
// only style elements carrying it apply (Mantine writes its theme into one).
const nonce = document.querySelector<HTMLMetaElement>('meta[name="csp-nonce"]')?.content ?? '';

const theme = createTheme({ primaryColor: 'blue', defaultRadius: 'sm' });

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <MantineProvider theme={theme} getStyleNonce={() => nonce} defaultColorScheme="light">
      <Router base="/console">
        <App />
      </Router>
    </MantineProvider>
  </StrictMode>,
);
