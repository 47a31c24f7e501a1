import { StrictMode } from 'react';
import { QueryClientProvider } from '@tanstack/react-query';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { createQueryClient } from './queries';
import { consumeFragment } from './session';
import './styles.css';

// Read (and strip) the admin token before anything else can see the URL.
const { token, launch } = consumeFragment();

const root = document.getElementById('root');
if (!root) throw new Error('#root is missing from index.html');

createRoot(root).render(
  <StrictMode>
    <QueryClientProvider client={createQueryClient()}>
      <App initialToken={token} initialLaunch={launch} />
    </QueryClientProvider>
  </StrictMode>,
);
