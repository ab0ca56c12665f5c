// Change pages: confirmation prompts for irreversible buttons (no inline scripts).
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-confirm]");
  if (button && !window.confirm(button.dataset.confirm)) {
    event.preventDefault();
    event.stopPropagation();
  }
});
// Open the panel of an action named in the address (#act-approve) after a redirect.
document.addEventListener("DOMContentLoaded", () => {
  const panel = window.location.hash.startsWith("#act-") && document.querySelector(window.location.hash);
  if (panel && window.bootstrap) window.bootstrap.Collapse.getOrCreateInstance(panel).show();
});
