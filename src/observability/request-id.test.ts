import { DEV_API_KEY } from '../auth/dev-key';
import { generateApiKey } from '../auth/generate-key';
import { safeRequestId } from './request-id';

describe('safeRequestId', () => {
  it('when the id is a common request or trace id, then it is kept', () => {
    for (const id of [
      '3f2c7d1e-8a4b-4c2e-9f0a-1b2c3d4e5f60',
      '4bf92f3577b34da6a3ce929d0e0e4736',
      '01ARZ3NDEKTSV4RRFFQ69G5FAV',
      'client-id:42',
      'checkout.request_17',
    ])
      expect(safeRequestId(id)).toBe(id);
  });

  it('when the id could be a secret, then it is refused', () => {
    const jwtLike = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV';
    for (const id of [
      generateApiKey(),
      'ehgw_short',
      'ZGV2LW9ubHktc2VuZC1rZXktZm9yLXRoZS1sb2NhbC1lbXVsYXRvcg', // an account key without padding
      jwtLike.slice(0, 64),
      'SharedAccessSignature sr=x&sig=y&se=1&skn=p', // spaces, '&', '='
      'Endpoint=sb://ns/;SharedAccessKey=abc',
      'x'.repeat(65),
      'bad id <script>',
      '',
    ])
      expect({ id, kept: safeRequestId(id) }).toEqual({ id, kept: undefined });
    expect(safeRequestId(['a', 'b'])).toBeUndefined();
    // The published development key is no secret, but see requestIdOf: a request never gets its own key.
    expect(safeRequestId(DEV_API_KEY)).toBe(DEV_API_KEY);
  });
});
