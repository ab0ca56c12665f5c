// Release pages: strategy parameters follow the chosen strategy, a planned date is suggested
// from the kind's cadence, and the notes page prints. No inline scripts (CSP).
(function () {
  function showStrategyParams() {
    const select = document.querySelector("select[data-strategy]");
    if (!select) return;
    document.querySelectorAll("[data-param-of]").forEach((el) => {
      el.hidden = el.dataset.paramOf !== select.value;
    });
  }

  function suggestPlannedDate() {
    const kind = document.querySelector("select[data-release-kind]");
    const planned = document.querySelector("input[name='planned_at']");
    const hint = document.getElementById("cadence-hint");
    if (!kind || !planned) return;
    let slots = {};
    try { slots = JSON.parse(kind.dataset.nextSlots || "{}"); } catch (e) { slots = {}; }
    const slot = slots[kind.value];
    if (hint) hint.textContent = slot ? `${hint.dataset.prefix} ${slot}` : "";
    if (slot && !planned.value) planned.value = `${slot}T10:00`;
  }

  document.addEventListener("change", (event) => {
    if (event.target.matches("select[data-strategy]")) showStrategyParams();
    if (event.target.matches("select[data-release-kind]")) suggestPlannedDate();
  });
  document.addEventListener("click", (event) => {
    if (event.target.closest("[data-print]")) window.print();
  });
  document.addEventListener("DOMContentLoaded", () => {
    showStrategyParams();
    const hint = document.getElementById("cadence-hint");
    if (hint) {
      const kind = document.querySelector("select[data-release-kind]");
      const slots = JSON.parse((kind && kind.dataset.nextSlots) || "{}");
      const slot = kind && slots[kind.value];
      if (slot) hint.textContent = `${hint.dataset.prefix} ${slot}`;
    }
  });
})();
