import { redactRequest, secretFreeUrl } from '../../lti-tool/src/web/log-redaction.js';

/** Capabilities that travel in URLs never reach the request log; everything else does, as it was. */
describe('request log redaction', () => {
  it.each([
    ['/lti/register/abcDEF123', '/lti/register/[Redacted]'],
    ['/packages/vt_pkg_abcdefghijklmnopqrstuv/play?learner=emp-1', '/packages/[Redacted]/play?learner=emp-1'],
    [
      '/media/renders/r1/1800000000/deadbeef/lesson.mp4',
      '/media/renders/r1/1800000000/[Redacted]/lesson.mp4',
    ],
    ['/lti/launch?ltik=eyJabc&x=1', '/lti/launch?ltik=%5BRedacted%5D&x=1'],
    ['/api/renders/r1', '/api/renders/r1'],
  ])('%s is logged as %s', (url, logged) => {
    expect(secretFreeUrl(url)).toBe(logged);
  });

  it('takes tokens out of route parameters and secret query fields', () => {
    const req = redactRequest({
      url: '/packages/vt_pkg_abcdefghijklmnopqrstuv/play?learner=emp-1',
      params: { token: 'vt_pkg_abcdefghijklmnopqrstuv' },
      query: { learner: 'emp-1', session: 'vt_lti_x' },
    });
    expect(JSON.stringify(req)).not.toContain('vt_pkg_');
    expect(JSON.stringify(req)).not.toContain('vt_lti_x');
    expect(req).toMatchObject({ query: { learner: 'emp-1' } });
  });
});
