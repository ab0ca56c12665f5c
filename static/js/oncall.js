// On-call pages: copy calendar addresses and show the
// rotation form's fields only when they apply. No inline scripts (CSP).
(() => {
  document.addEventListener("click", (event) => {
    const copy = event.target.closest("[data-copy]");
    if (copy) {
      const input = document.querySelector(copy.dataset.copy);
      if (input) {
        input.select();
        if (navigator.clipboard) navigator.clipboard.writeText(input.value);
        copy.classList.add("btn-success");
        setTimeout(() => copy.classList.remove("btn-success"), 1200);
      }
    }
  });

  function toggle(form) {
    const kind = form.querySelector("[name=kind]");
    const restriction = form.querySelector("[name=restriction]");
    form.querySelectorAll("[data-show-when-kind]").forEach((el) => {
      el.hidden = kind && kind.value !== el.dataset.showWhenKind;
    });
    form.querySelectorAll("[data-show-when-restriction]").forEach((el) => {
      el.hidden = restriction && restriction.value !== el.dataset.showWhenRestriction;
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    const form = document.getElementById("rotation-form");
    if (!form) return;
    toggle(form);
    form.addEventListener("change", () => toggle(form));
  });
})();
