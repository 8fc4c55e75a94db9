// The admin's API reference: Scalar (loaded before this file) over our OpenAPI document. Nothing is
// fetched from elsewhere: no fonts, no proxy, no telemetry.
const mount = document.getElementById('api-reference');
if (mount && window.Scalar) {
  window.Scalar.createApiReference(mount, {
    url: mount.dataset.specUrl,
    withDefaultFonts: false,
    hideClientButton: true,
    telemetry: false,
    showDeveloperTools: 'never',
  });
}
