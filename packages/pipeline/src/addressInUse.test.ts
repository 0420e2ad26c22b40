import { describe, expect, it } from 'vitest';
import { addressInUse } from './addressInUse.ts';
import { ConfigError } from './configError.ts';

const otlp = { grpc: { endpoint: '0.0.0.0:4317' }, http: { endpoint: '0.0.0.0:4318' } };

describe('addressInUse', () => {
  it("names the key of the endpoint whose port Node's EADDRINUSE reports", () => {
    const error = Object.assign(new Error('listen EADDRINUSE'), { code: 'EADDRINUSE', port: 4318 });
    const clash = addressInUse(error, 'receivers.otlp', otlp);
    expect(clash).toBeInstanceOf(ConfigError);
    expect(clash?.message).toBe(
      'receivers.otlp.http.endpoint 0.0.0.0:4318 is in use; change it in the config or with --set receivers.otlp.http.endpoint=<host:port>',
    );
  });

  it('reads the port from the message of grpc-js, which carries no code', () => {
    const error = new Error(
      'No address added out of total 1 resolved errors: [listen EADDRINUSE: address already in use 0.0.0.0:4317]',
    );
    expect(addressInUse(error, 'receivers.otlp', otlp)?.message).toContain(
      'receivers.otlp.grpc.endpoint 0.0.0.0:4317',
    );
  });

  it('takes the only endpoint of a listener, and leaves other errors alone', () => {
    const error = Object.assign(new Error('listen EADDRINUSE'), { code: 'EADDRINUSE' });
    expect(addressInUse(error, 'query', { endpoint: '0.0.0.0:8080' })?.message).toContain(
      'query.endpoint 0.0.0.0:8080',
    );
    expect(addressInUse(new Error('EACCES'), 'query', { endpoint: '0.0.0.0:80' })).toBeUndefined();
  });
});
