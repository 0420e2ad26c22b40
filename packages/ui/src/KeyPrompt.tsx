import { useState } from 'preact/hooks';

/**
 * Asks for an API key when the query API wants one; the key stays in this tab's sessionStorage
 * and goes out only as a bearer token to this API.
 * @example <KeyPrompt onKey={(key) => keys.set(key)} />
 */
export function KeyPrompt({ onKey, failed }: { onKey: (key: string) => void; failed: boolean }) {
  const [key, setKey] = useState('');
  return (
    <form
      class="key-prompt"
      onSubmit={(event) => {
        event.preventDefault();
        if (key.trim() !== '') onKey(key.trim());
      }}
    >
      <h2>API key</h2>
      <p>
        This llmp checks API keys. Enter a key with read access; it is kept only for this browser tab and
        shows the traces of its project.
      </p>
      {failed && <p class="error">That key was not accepted.</p>}
      <input
        id="api-key"
        type="password"
        autocomplete="off"
        placeholder="API key"
        value={key}
        onInput={(event) => setKey(event.currentTarget.value)}
      />
      <button type="submit">Use key</button>
    </form>
  );
}
