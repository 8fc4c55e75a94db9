// The parts of ltijs 5.9 (Apache-2.0) and ltijs-sequelize 2.4 the tool uses; neither ships types.
declare module 'ltijs' {
  import type { Request, RequestHandler, Response } from 'express';

  export interface LtijsPlatform {
    platformId(): Promise<string>;
    platformKid(): Promise<string>;
    platformActive(active?: boolean): Promise<boolean>;
    platformClientId(): Promise<string>;
  }
  export interface LtijsIdToken {
    iss: string;
    user: string;
    clientId: string;
    platformId: string;
    deploymentId: string;
    userInfo: { name?: string; email?: string; given_name?: string; family_name?: string };
    platformContext: {
      contextId: string;
      context?: { id: string; label?: string; title?: string };
      resource?: { id: string; title?: string };
      messageType: string;
      roles: string[];
      custom?: Record<string, string>;
      launchPresentation?: { locale?: string; return_url?: string; document_target?: string };
      deepLinkingSettings?: Record<string, unknown> & { deep_link_return_url: string };
      endpoint?: Record<string, unknown>;
      namesRoles?: Record<string, unknown>;
    };
  }
  type Handler = (req: Request, res: Response, next: () => void) => unknown;
  type LaunchHandler = (token: LtijsIdToken, req: Request, res: Response, next: () => void) => unknown;
  export interface LtijsProvider {
    app: RequestHandler;
    Database: {
      Get(key: string | false, table: string, info?: object): Promise<Array<Record<string, unknown>> | false>;
      Insert(key: string | false, table: string, item: object, index?: object): Promise<boolean>;
      Modify(key: string | false, table: string, info: object, modification: object): Promise<boolean>;
      Delete(table: string, info: object): Promise<boolean>;
    };
    DeepLinking: {
      createDeepLinkingForm(
        token: LtijsIdToken,
        items: object[],
        options?: { message?: string },
      ): Promise<string>;
      createDeepLinkingMessage(
        token: LtijsIdToken,
        items: object[],
        options?: { message?: string },
      ): Promise<string>;
    };
    setup(key: string, database: { plugin: unknown }, options: Record<string, unknown>): LtijsProvider;
    deploy(options: { serverless: true; silent?: boolean }): Promise<boolean>;
    close(options?: { silent?: boolean }): Promise<boolean>;
    onConnect(handler: LaunchHandler): void;
    onDeepLinking(handler: LaunchHandler): void;
    onInvalidToken(handler: Handler): void;
    onSessionTimeout(handler: Handler): void;
    onUnregisteredPlatform(handler: Handler): void;
    onInactivePlatform(handler: Handler): void;
    registerPlatform(p: {
      url: string;
      name: string;
      clientId: string;
      authenticationEndpoint: string;
      accesstokenEndpoint: string;
      authorizationServer?: string;
      authConfig: { method: 'JWK_SET'; key: string };
    }): Promise<LtijsPlatform>;
    getPlatform(url: string, clientId: string): Promise<LtijsPlatform | false>;
  }
  export const Provider: LtijsProvider;
}

declare module 'ltijs-sequelize' {
  export default class Database {
    constructor(database: string, user: string, pass: string | undefined, options: Record<string, unknown>);
    /** Connects, syncs its tables and runs its migrations (ltijs calls it at deploy). */
    setup(): Promise<boolean>;
    Get(key: string | false, table: string, info?: object): Promise<object[] | false>;
    Insert(key: string | false, table: string, item: object, index?: object): Promise<boolean>;
    Modify(key: string | false, table: string, info: object, modification: object): Promise<boolean>;
    Replace(key: string | false, table: string, info: object, item: object, index?: object): Promise<boolean>;
    Delete(table: string, info: object): Promise<boolean>;
  }
}
