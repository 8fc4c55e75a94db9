// A learner's watching, reported as the intervals actually played (not "reached the end"): a
// heartbeat every few seconds while playing and at pause, seek, end and page hide (sendBeacon, which
// survives the page closing). A heartbeat that fails keeps its intervals for the next one; the
// server's union makes sending them twice harmless, and (session, seq) makes a replay a no-op.
const TICK_MS = 5000;

/**
 * `timeline` maps the playing version's time onto the lesson's (a language version runs longer or
 * shorter): intervals and positions are reported on the lesson's timeline. The tracker returned can
 * be told of a switch to another version's timeline.
 */
export function trackWatching(video, status, token, timeline) {
  const lessonId = status.dataset.lesson;
  const seqKey = `vt-seq-${token.slice(-16)}`;
  let seq = 0;
  try {
    seq = Number(sessionStorage.getItem(seqKey) || 0);
  } catch {
    // storage blocked in a third-party frame: a fresh count per page is still unique per launch
  }
  let played = []; // [start, end] not yet acknowledged
  let from = null; // where the current stretch of playback began
  let last = 0;

  let map = timeline;
  const resume = map.fromLesson(Number(status.dataset.resume || 0));
  const seekToResume = () => (video.currentTime = Math.min(resume, video.duration - 1));
  // The metadata may have loaded before this module ran (a quick server): then seek at once.
  if (resume > 1 && video.readyState >= HTMLMediaElement.HAVE_METADATA) seekToResume();
  else if (resume > 1) video.addEventListener('loadedmetadata', seekToResume, { once: true });

  const close = (at) => {
    if (from !== null && at > from) played.push([map.toLesson(from), map.toLesson(at)]);
    from = null;
  };
  // The tool credits watching only from a heartbeat sent while playing to the next one: say so at once.
  video.addEventListener('playing', () => {
    from = video.currentTime;
    last = from;
    send('play');
  });
  video.addEventListener('timeupdate', () => {
    if (from === null || video.seeking) return;
    const now = video.currentTime;
    // A jump (seek without events, or a stall): close the stretch where playback really was.
    if (now < last || now - last > 2) {
      close(last);
      from = now;
    }
    last = now;
  });
  video.addEventListener('seeking', () => close(last));
  video.addEventListener('seeked', () => {
    if (!video.paused) from = last = video.currentTime;
    send('seeked');
  });
  video.addEventListener('pause', () => {
    close(video.currentTime);
    send('pause');
  });
  video.addEventListener('ended', () => {
    close(video.duration);
    send('ended');
  });
  document.addEventListener(
    'visibilitychange',
    () => document.visibilityState === 'hidden' && send('hidden', true),
  );
  window.addEventListener('pagehide', () => send('hidden', true));
  setInterval(() => !video.paused && send('tick'), TICK_MS);

  function send(event, beacon = false) {
    if (from !== null) {
      // The stretch so far is reported; playback goes on from here.
      close(video.currentTime);
      if (!video.paused) from = last = video.currentTime;
    }
    const intervals = played;
    played = [];
    seq += 1;
    try {
      sessionStorage.setItem(seqKey, String(seq));
    } catch {
      // see above
    }
    const body = JSON.stringify({
      session: token,
      lessonId,
      seq,
      position: map.toLesson(video.currentTime),
      intervals,
      event,
      playing: !video.paused && !video.ended,
    });
    if (beacon && navigator.sendBeacon(`/lti/progress`, body)) return;
    fetch('/lti/progress', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      keepalive: true,
    })
      .then((res) => (res.ok ? res.json() : Promise.reject(new Error(String(res.status)))))
      .then((s) => {
        status.textContent =
          `${status.dataset.watched} ${Math.floor(s.coverage * 100)} %` +
          (s.completed ? ` · ${status.dataset.completed}` : '');
        status.dataset.coverage = String(s.coverage);
        if (s.completed) document.body.dataset.completed = 'true';
        // An exported package's page frames this player and tells its LMS (nothing secret is sent).
        if (status.dataset.report === 'parent' && window.parent !== window)
          window.parent.postMessage(
            {
              type: 'virtual-tutor:standing',
              lessonId,
              coverage: s.coverage,
              completed: s.completed,
              grade: s.grade,
            },
            '*',
          );
      })
      .catch(() => (played = [...intervals, ...played]));
  }

  return {
    /** Another version is about to play: what was played of this one is reported on its own map. */
    switchTo(next) {
      close(video.currentTime);
      send('pause');
      map = next;
    },
  };
}
