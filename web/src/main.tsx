import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app/App';
import './styles.css';

createRoot(document.getElementById('root') as HTMLElement).render(
  <StrictMode>
    <App />
  </StrictMode>,
);

if ('serviceWorker' in navigator) {
  // The worker only shows pushed notifications; the app works without it.
  void navigator.serviceWorker.register('/sw.js').catch(() => undefined);
}
