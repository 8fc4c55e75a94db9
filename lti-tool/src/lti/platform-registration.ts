import type { LtijsProvider } from 'ltijs';
import { z } from 'zod';
import type { HttpFetch } from '../../../adapters/http-fetch.js';
import { sameOrigin } from '../../../adapters/origins.js';
import { CLAIM, SCOPE } from './lti-claims.js';
import { LTI_ROUTES } from './lti-provider.js';
import type { LtiRegistry } from './lti-registry.js';
import { fieldsOf } from '../../../common/zod-problems.js';

/** A registration refused; `message` is safe to show the LMS admin (no remote body in it). */
export class RegistrationError extends Error {}

/** The values an LMS administrator types in for a manual registration. */
export function toolValues(publicUrl: string): Record<string, string> {
  return {
    'Tool URL / target link URI': `${publicUrl}/lti${LTI_ROUTES.app}`,
    'Initiate login URL': `${publicUrl}/lti${LTI_ROUTES.login}`,
    'Redirection URI': `${publicUrl}/lti${LTI_ROUTES.app}`,
    'Public keyset URL': `${publicUrl}/lti${LTI_ROUTES.keyset}`,
    'Deep linking URL': `${publicUrl}/lti${LTI_ROUTES.app}`,
  };
}

const OpenIdConfiguration = z.object({
  issuer: z.url(),
  authorization_endpoint: z.url(),
  token_endpoint: z.url(),
  jwks_uri: z.url(),
  registration_endpoint: z.url(),
  scopes_supported: z.array(z.string()).optional(),
  [CLAIM.platformConfiguration]: z
    .object({ product_family_code: z.string().optional(), version: z.string().optional() })
    .optional(),
});

export interface ManualPlatform {
  readonly issuer: string;
  readonly clientId: string;
  readonly name: string;
  readonly authLoginUrl: string;
  readonly tokenUrl: string;
  readonly keysetUrl: string;
  readonly deploymentIds: readonly string[];
}

/** Registers platforms with ltijs (keys, endpoints) and with us (deployments → tenants). */
export class PlatformRegistration {
  constructor(
    private readonly lti: LtijsProvider,
    private readonly registry: LtiRegistry,
    private readonly publicUrl: string,
    private readonly http: HttpFetch,
  ) {}

  /**
   * A platform registered by a tool admin (the admin page or the CLI). Its login, token and keyset
   * URLs must be on the issuer's origin: the tool sends tokens and trusts keys only there.
   */
  async addManually(
    p: ManualPlatform,
    via: 'manual' | 'dynamic' = 'manual',
    product?: string,
  ): Promise<string> {
    const offOrigin = [p.authLoginUrl, p.tokenUrl, p.keysetUrl].find((u) => !sameOrigin(u, p.issuer));
    if (offOrigin)
      throw new RegistrationError(
        `${offOrigin} is not on the platform's origin ${new URL(p.issuer).origin}.`,
      );
    await this.lti.registerPlatform({
      url: p.issuer,
      name: p.name,
      clientId: p.clientId,
      authenticationEndpoint: p.authLoginUrl,
      accesstokenEndpoint: p.tokenUrl,
      authConfig: { method: 'JWK_SET', key: p.keysetUrl },
    });
    const platformId = await this.registry.addPlatform({
      issuer: p.issuer,
      clientId: p.clientId,
      name: p.name,
      via,
      keysetUrl: p.keysetUrl,
      tokenUrl: p.tokenUrl,
      product,
    });
    for (const d of p.deploymentIds) await this.registry.addDeployment(platformId, d);
    return platformId;
  }

  /**
   * LTI Dynamic Registration 1.0: fetch and check the platform's OpenID configuration, register our
   * client with the registration token, then record the platform and the deployment it answered with.
   */
  async register(
    configurationUrl: string,
    registrationToken?: string,
  ): Promise<{ platformId: string; issuer: string }> {
    const config = OpenIdConfiguration.safeParse(await this.getJson(configurationUrl));
    if (!config.success)
      throw new RegistrationError(
        `The platform's OpenID configuration is incomplete: ${fieldsOf(config.error).join(', ')}.`,
      );
    const c = config.data;
    // The configuration must come from the issuer itself (the spec's rule against a foreign config),
    // and so must every endpoint it names: origins compared parsed, never as string prefixes.
    const foreign = [
      configurationUrl,
      c.registration_endpoint,
      c.authorization_endpoint,
      c.token_endpoint,
      c.jwks_uri,
    ].find((u) => !sameOrigin(u, c.issuer));
    if (foreign)
      throw new RegistrationError(
        `${foreign} is not on the issuer's origin ${new URL(c.issuer).origin}; a platform registers only its own URLs.`,
      );
    const launch = `${this.publicUrl}/lti${LTI_ROUTES.app}`;
    const response = await this.http(c.registration_endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(registrationToken ? { authorization: `Bearer ${registrationToken}` } : {}),
      },
      body: JSON.stringify({
        application_type: 'web',
        response_types: ['id_token'],
        grant_types: ['implicit', 'client_credentials'],
        initiate_login_uri: `${this.publicUrl}/lti${LTI_ROUTES.login}`,
        redirect_uris: [launch],
        client_name: 'Virtual Tutor',
        'client_name#zh': '虚拟导师',
        jwks_uri: `${this.publicUrl}/lti${LTI_ROUTES.keyset}`,
        logo_uri: `${this.publicUrl}/static/logo.svg`,
        token_endpoint_auth_method: 'private_key_jwt',
        scope: [
          SCOPE.lineItem,
          SCOPE.lineItemReadonly,
          SCOPE.resultReadonly,
          SCOPE.score,
          SCOPE.memberships,
        ].join(' '),
        [CLAIM.toolConfiguration]: {
          domain: new URL(this.publicUrl).host,
          description:
            'Avatar-led lessons: a portrait, a voice and a prompt become a lip-synced video lesson.',
          target_link_uri: launch,
          custom_parameters: {},
          claims: ['iss', 'sub', 'name', 'email', 'locale'],
          messages: [
            { type: 'LtiResourceLinkRequest', target_link_uri: launch },
            {
              type: 'LtiDeepLinkingRequest',
              target_link_uri: launch,
              label: 'Generate avatar lesson',
              'label#zh': '生成数字人课程',
            },
          ],
        },
      }),
    }).catch((e: Error) => {
      throw new RegistrationError(`The platform's registration endpoint could not be reached: ${e.message}.`);
    });
    const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
    // The platform's own words stay out of the page (its answer could be anything); its status is enough.
    if (!response.ok || typeof body.client_id !== 'string')
      throw new RegistrationError(`The platform refused the registration (HTTP ${response.status}).`);
    // A registration never changes a platform already registered: that is for a tool admin alone.
    if (await this.registry.platformByClient(c.issuer, [body.client_id]))
      throw new RegistrationError(
        `${c.issuer} with client ID ${body.client_id} is already registered; a tool admin can change it under /admin/platforms.`,
      );
    const deploymentId = (body[CLAIM.toolConfiguration] as { deployment_id?: string } | undefined)
      ?.deployment_id;
    const product = c[CLAIM.platformConfiguration]?.product_family_code;
    const platformId = await this.addManually(
      {
        issuer: c.issuer,
        clientId: body.client_id,
        name: `${product ?? 'LMS'} ${new URL(c.issuer).host}`,
        authLoginUrl: c.authorization_endpoint,
        tokenUrl: c.token_endpoint,
        keysetUrl: c.jwks_uri,
        deploymentIds: deploymentId ? [String(deploymentId)] : [],
      },
      'dynamic',
      product,
    );
    return { platformId, issuer: c.issuer };
  }

  private async getJson(url: string): Promise<unknown> {
    let response: Response;
    try {
      response = await this.http(url, { headers: { accept: 'application/json' } });
    } catch (e) {
      throw new RegistrationError(
        `The platform's configuration at ${url} could not be fetched: ${(e as Error).message}.`,
      );
    }
    if (!response.ok)
      throw new RegistrationError(`The platform's configuration answered HTTP ${response.status}.`);
    return response.json().catch(() => {
      throw new RegistrationError('The platform’s configuration is not JSON.');
    });
  }
}
