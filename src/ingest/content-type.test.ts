import { bodyEncodingOf, bodyFormatOf } from './content-type';

describe('bodyFormatOf', () => {
  it('when JSON or NDJSON with UTF-8 or no charset, then the format is returned', () => {
    expect(bodyFormatOf('application/json')).toBe('json');
    expect(bodyFormatOf('Application/JSON; charset="UTF-8"')).toBe('json');
    expect(bodyFormatOf('application/x-ndjson')).toBe('ndjson');
    expect(bodyFormatOf('application/json; charset=utf-8')).toBe('json');
    expect(bodyFormatOf('application/x-ndjson; charset=utf-8')).toBe('ndjson');
    expect(bodyFormatOf(' application/json ; charset=utf-8')).toBe('json');
  });

  it('when anything else, then 415', () => {
    for (const type of [undefined, 'text/plain', 'application/xml', 'application/json; charset=latin1']) {
      expect(() => bodyFormatOf(type)).toThrow(
        expect.objectContaining({ code: 'GW_ERR_UNSUPPORTED_MEDIA_TYPE' }),
      );
    }
  });
});

describe('bodyEncodingOf', () => {
  it('when gzip or none, then accepted; when br, then 415', () => {
    expect(bodyEncodingOf(undefined)).toBe('identity');
    expect(bodyEncodingOf('GZIP')).toBe('gzip');
    expect(() => bodyEncodingOf('br')).toThrow(expect.objectContaining({ status: 415 }));
  });
});
