import { checkLaunchClaims, LaunchError } from '../../lti-tool/src/lti/launch-claims.js';

/**
 * The launch claim rules alone, in milliseconds. The claims are written as 1EdTech's LTI Core 1.3 and
 * Deep Linking 2.0 name them (not through the tool's constants), so a misspelt claim name in the tool
 * fails here. Signature, issuer, audience and expiry are jose's work, checked with signed tokens by
 * tests/integration/lti-launch.test.ts.
 */
const LTI = 'https://purl.imsglobal.org/spec/lti/claim/';
const NOW = 1_800_000_000;
const expect_ = { clientId: 'our-client', publicUrl: 'https://tool.example', skewSec: 5, nowSec: NOW };

const resourceLink = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
  iss: 'https://moodle.example',
  aud: 'our-client',
  sub: 'u42',
  iat: NOW - 1,
  exp: NOW + 60,
  [`${LTI}message_type`]: 'LtiResourceLinkRequest',
  [`${LTI}version`]: '1.3.0',
  [`${LTI}deployment_id`]: '1',
  [`${LTI}target_link_uri`]: 'https://tool.example/lti/launch',
  [`${LTI}resource_link`]: { id: 'rl1' },
  [`${LTI}roles`]: ['http://purl.imsglobal.org/vocab/lis/v2/membership#Learner'],
  ...over,
});
const deepLinking = (over: Record<string, unknown> = {}): Record<string, unknown> => {
  const c = resourceLink({
    [`${LTI}message_type`]: 'LtiDeepLinkingRequest',
    'https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings': {
      deep_link_return_url: 'https://moodle.example/mod/lti/contentitem_return.php',
    },
    ...over,
  });
  delete c[`${LTI}resource_link`];
  return c;
};

const problemOf = (claims: Record<string, unknown>): string | undefined => {
  try {
    checkLaunchClaims(claims, expect_);
    return undefined;
  } catch (e) {
    if (e instanceof LaunchError) return e.problem;
    throw e;
  }
};

describe('a launch’s claims', () => {
  it('accepts a resource link launch and a deep-linking request as the spec writes them', () => {
    expect(problemOf(resourceLink())).toBeUndefined();
    expect(problemOf(deepLinking())).toBeUndefined();
    // An instructor launch without sub is fine for deep linking (the spec requires it only of resource links).
    expect(problemOf(deepLinking({ sub: undefined }))).toBeUndefined();
  });

  it('refuses a token issued in the future, beyond the allowed skew', () => {
    expect(problemOf(resourceLink({ iat: NOW + 5 }))).toBeUndefined();
    expect(problemOf(resourceLink({ iat: NOW + 6 }))).toBe('IAT_INVALID');
  });

  it('with several audiences, requires azp to be us; an azp present must always be us', () => {
    expect(problemOf(resourceLink({ aud: ['our-client', 'other'] }))).toBe('AZP_MISMATCH');
    expect(problemOf(resourceLink({ aud: ['our-client', 'other'], azp: 'our-client' }))).toBeUndefined();
    expect(problemOf(resourceLink({ azp: 'other' }))).toBe('AZP_MISMATCH');
  });

  it('refuses other message types and versions', () => {
    expect(problemOf(resourceLink({ [`${LTI}message_type`]: 'LtiSubmissionReviewRequest' }))).toBe(
      'MESSAGE_TYPE',
    );
    expect(problemOf(resourceLink({ [`${LTI}message_type`]: undefined }))).toBe('MESSAGE_TYPE');
    expect(problemOf(resourceLink({ [`${LTI}version`]: '1.1' }))).toBe('WRONG_VERSION');
  });

  it('requires roles, and of a resource link launch its id and the user', () => {
    expect(problemOf(resourceLink({ [`${LTI}roles`]: 'Learner' }))).toBe('NO_ROLES');
    expect(problemOf(resourceLink({ [`${LTI}resource_link`]: {} }))).toBe('NO_RESOURCE_LINK');
    expect(problemOf(resourceLink({ sub: '' }))).toBe('NO_SUB');
  });

  it('requires a deep-linking request to say where to return', () => {
    expect(
      problemOf(deepLinking({ 'https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings': {} })),
    ).toBe('NO_DEEP_LINKING_SETTINGS');
  });

  it('refuses a launch aimed at another tool, including one whose address only begins like ours', () => {
    expect(problemOf(resourceLink({ [`${LTI}target_link_uri`]: 'https://evil.example/lti/launch' }))).toBe(
      'TARGET_LINK_URI',
    );
    expect(problemOf(resourceLink({ [`${LTI}target_link_uri`]: 'https://tool.example.evil.test/x' }))).toBe(
      'TARGET_LINK_URI',
    );
  });
});
