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
  let lastEventId = '';
  // The stream can end before the render does (the tool or its database restarted): say so, and
  // follow again from where it was; the tool answers with the current state first.
  for (let attempt = 0; ; attempt++) {
    if (attempt) {
      text.textContent = say('Reconnecting…', '正在重新连接…');
      document.body.dataset.stream = 'reconnecting';
      await new Promise((r) => setTimeout(r, Math.min(10_000, 1000 * attempt)));
    }
    let res;
    try {
      res = await api(`/api/renders/${id}/events`, {
        headers: lastEventId ? { 'last-event-id': lastEventId } : {},
      });
    } catch {
      continue;
    }
    if (res.status === 404) return { state: 'failed', error: say('The render is gone.', '渲染已不存在。') };
    if (!res.ok || !res.body) continue;
    document.body.dataset.stream = 'open';
    try {
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
          lastEventId = /^id: (.*)$/m.exec(chunk)?.[1] ?? lastEventId;
          const event = /^event: (\w+)$/m.exec(chunk)?.[1];
          const data = /^data: (.*)$/m.exec(chunk)?.[1];
          if (!event || !data) continue;
          const body = JSON.parse(data);
          if (event === 'render' && body.stalled)
            text.textContent = `${say('Stalled, waiting for a render node', '已停滞，正在等待渲染节点')} (${say('since', '自')} ${new Date(body.stalled.since).toLocaleTimeString()})`;
          else if (event === 'render' && body.progress) showProgress(bar, text, body.progress);
          else if (event === 'render') text.textContent = body.state;
          else if (event === 'progress') showProgress(bar, text, body);
          else if (event === 'state') text.textContent = body.message || body.state;
          else if (event === 'end') {
            if (body.state === 'done') bar.value = 100;
            return body;
          }
        }
      }
    } catch {
      // the connection broke mid-stream: reconnect
    }
  }
}

/** The render contract's stages (RENDER_STAGES), as an author reads them. */
const STAGES = {
  fetch: ['Fetching the inputs', '正在获取素材'],
  analyse: ['Analysing the voice and the face', '正在分析语音和人脸'],
  render: ['Rendering', '正在渲染'],
  encode: ['Encoding the video', '正在编码视频'],
  upload: ['Uploading', '正在上传'],
};

function showProgress(bar, text, p) {
  bar.value = p.percent;
  const stage = STAGES[p.stage] ? say(...STAGES[p.stage]) : p.stage;
  text.textContent = `${stage} · ${Math.round(p.percent)} %${p.etaSec ? ` · ${say('about', '约')} ${Math.ceil(p.etaSec)} s` : ''}`;
}
