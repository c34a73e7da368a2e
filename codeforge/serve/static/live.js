// A started run's page: bench's progress events, read as server-sent events from the server itself.
(function () {
  const table = document.getElementById("progress");
  if (!table) return;
  const shown = (id, text) => { document.getElementById(id).textContent = text; };
  const log = document.getElementById("events");
  let total = 0, done = 0, generated = 0, passed = 0;
  const source = new EventSource(table.dataset.events);
  source.onmessage = (message) => {
    const e = JSON.parse(message.data);
    log.textContent += JSON.stringify(e) + "\n";
    if (e.kind === "round" || e.kind === "epoch") {
      total = e.to_generate + (e.kind === "round" ? e.to_execute : e.to_check); done = 0; generated = 0; passed = 0;
      shown("round", e.kind === "round" ? String(e.round) : "epoch " + e.epoch);
    } else if (e.kind === "generated") {
      generated += e.count;
    } else if (e.kind === "executed" || e.kind === "answered" || e.kind === "judged") {
      done += 1;
      if (e.passed || e.kept) passed += 1;
    }
    shown("generated", String(generated));
    shown("checked", done + "/" + total);
    shown("passed", String(passed));
    if (["finished", "cancelled", "failed"].includes(e.kind)) {
      shown("state", e.kind);
      source.close();
      document.getElementById("cancel").remove();
      const outcome = document.getElementById("outcome");
      outcome.textContent = e.message || "";
      if (e.run) {
        const link = document.createElement("a");
        link.href = "/runs/" + e.run;
        link.id = "run-link";
        link.textContent = " → " + (e.name || ("run " + e.run));
        outcome.appendChild(link);
      }
    }
  };
})();
