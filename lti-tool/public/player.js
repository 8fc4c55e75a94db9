// The lesson player. Browsers without HLS take the MP4 source; the keyboard controls are the video's own.
const video = document.getElementById('player');
if (video) {
  video.addEventListener('loadedmetadata', () => (document.body.dataset.player = 'ready'));
  video.addEventListener('playing', () => (document.body.dataset.player = 'playing'));
  video.addEventListener('error', () => (document.body.dataset.player = 'error'));
}
