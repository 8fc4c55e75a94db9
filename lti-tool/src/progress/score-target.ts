import type { ScoreTarget } from '../../../adapters/lms-adapter.js';
import type { LtiSession } from '../lti/lti-sessions.js';

/** The gradebook column of the launch's resource link (its AGS endpoint claim), labelled `title`. */
export function scoreTargetOf(session: LtiSession, title: string): ScoreTarget {
  const ags = session.launch.ags as { lineitem?: string; lineitems?: string; scope?: string[] };
  return {
    platformId: session.platformId,
    lineitem: ags.lineitem,
    lineitems: ags.lineitems,
    resourceLinkId: session.resourceLinkId,
    label: title,
    scopes: ags.scope ?? [],
  };
}
