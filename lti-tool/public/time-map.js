// A language version's time on the lesson's own timeline and back, through the anchors the page gives
// (lessons/time-map.ts): progress is always reported on the lesson's timeline.
function through(anchors, t, from, to) {
  for (let i = 1; i < anchors.length; i++) {
    const a = anchors[i - 1];
    const b = anchors[i];
    if (t <= b[from] || i === anchors.length - 1) {
      const span = b[from] - a[from];
      const share = span > 0 ? Math.min(1, Math.max(0, (t - a[from]) / span)) : 0;
      return a[to] + share * (b[to] - a[to]);
    }
  }
  return t;
}

/** A timeline: the identity until a language version with its own anchors is chosen. */
export function timeline(anchors) {
  if (!anchors || anchors.length < 2) return { toLesson: (t) => t, fromLesson: (t) => t };
  return { toLesson: (t) => through(anchors, t, 0, 1), fromLesson: (t) => through(anchors, t, 1, 0) };
}
