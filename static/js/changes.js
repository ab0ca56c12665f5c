// Change pages (no inline scripts; confirmations are portal.js's).
// Open the panel of an action named in the address (#act-approve) after a redirect.
document.addEventListener("DOMContentLoaded", () => {
  const panel = window.location.hash.startsWith("#act-") && document.querySelector(window.location.hash);
  if (panel && window.bootstrap) window.bootstrap.Collapse.getOrCreateInstance(panel).show();
});
