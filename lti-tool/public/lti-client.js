// What the studio and the instructor's player share: the session token the page holds (never a
// cookie), the page's language, API calls, and following a render's progress live.
export const token = document.querySelector('meta[name="vt-session"]').content;
const zh = document.querySelector('meta[name="vt-lang"]').content === 'zh';
export const say = (en, cn) => (zh ? cn : en);
export const $ = (id) => document.getElementById(id);
export const api = (path, init = {}) =>
  fetch(path, { ...init, headers: { authorization: `Bearer ${token}`, ...(init.headers || {}) } });

/** Keeps the size list to what the chosen engine renders (sizes per engine in data attributes). */
export function sizesFollowEngine(engine, size) {
  engine.addEventListener('change', () => {
    const sizes = size.dataset[engine.value].split(',');
    size.replaceChildren(...sizes.map((s) => new Option(s, s)));
  });
}

/**
 * Follows a render through its Server-Sent Events (read with fetch: EventSource cannot send the
 * token in a header), filling `bar` and `text`; resolves with the finished render.
 */
export async function followRender(id, bar, text) {
  const res = await api(`/api/renders/${id}/events`);
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    let cut;
    while ((cut = buffer.indexOf('\n\n')) >= 0) {
      const chunk = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      const event = /^event: (\w+)$/m.exec(chunk)?.[1];
      const data = /^data: (.*)$/m.exec(chunk)?.[1];
      if (!event || !data) continue;
      const body = JSON.parse(data);
      if (event === 'progress') {
        bar.value = body.percent;
        text.textContent = `${body.stage} · ${Math.round(body.percent)} %${body.etaSec ? ` · ${say('about', '约')} ${Math.ceil(body.etaSec)} s` : ''}`;
      } else if (event === 'state') {
        text.textContent = body.message || body.state;
      } else if (event === 'end') {
        if (body.state === 'done') bar.value = 100;
        return body;
      }
    }
  }
  // The stream ended early (the tool restarted): the render's state says where it is.
  return (await api(`/api/renders/${id}`)).json();
}
