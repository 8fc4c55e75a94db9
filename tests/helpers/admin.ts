/** The tool's admin pages as a signed-in tool admin uses them: a session cookie, same-origin forms. */

/** Signs in on /admin/login; answers the session cookie ("name=value"). */
export async function adminSignIn(toolUrl: string, username: string, password: string): Promise<string> {
  const res = await fetch(`${toolUrl}/admin/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: toolUrl },
    body: new URLSearchParams({ username, password }),
  });
  const cookie = res.headers.get('set-cookie');
  if (res.status !== 303 || !cookie) throw new Error(`admin sign-in answered ${res.status}`);
  return cookie.split(';')[0]!;
}

/** Posts an admin form (the browser sends its page's origin; another `origin` is a forgery). */
export const postAdminForm = (
  toolUrl: string,
  path: string,
  cookie: string,
  form: Record<string, string>,
  origin = toolUrl,
): Promise<Response> =>
  fetch(`${toolUrl}${path}`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin, cookie },
    body: new URLSearchParams(form),
  });

/** An admin page's HTML. */
export const adminPage = async (toolUrl: string, path: string, cookie: string): Promise<string> =>
  (await fetch(`${toolUrl}${path}`, { headers: { cookie } })).text();
