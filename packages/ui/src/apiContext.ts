import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { ApiClient } from './apiClient.ts';

export interface Api {
  client: ApiClient;
  /** Shows the key prompt: the API refused the call (401) or no key is kept. */
  askForKey(): void;
  /** Changes when the key does, so pages read again with the new one. */
  keyVersion: number;
}

export const ApiContext = createContext<Api | null>(null);

/**
 * The query API of the page, from the app's context.
 * @example const { client } = useApi();
 */
export function useApi(): Api {
  const api = useContext(ApiContext);
  if (!api) throw new Error('useApi outside ApiContext');
  return api;
}
