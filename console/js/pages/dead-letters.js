// Dead letters: the messages billing, payment and invoice-mailer could never handle, parked
// on the `dead-letter` topic (lib/common/bp_dead_letter.c). No daemon lists them over HTTP
// yet: this page shows how many each parked since it started (bp_dead_letters_total of its
// /metrics) and how to read them from the topic.
import { request } from "../api.js";
import { clear, h, table } from "../dom.js";
import { timestamp } from "../format.js";
import { pageHeading, section } from "../ui.js";

const PARKERS = ["billing", "payment", "invoice-mailer"];

function counts(metrics) {
  let total = 0;
  for (const line of metrics.split("\n")) {
    const m = line.match(/^bp_dead_letters_total(\{[^}]*\})?\s+([0-9.e+]+)/);
    if (m) total += Number(m[2]);
  }
  return total;
}

export async function deadLettersPage(main) {
  pageHeading(main, "Dead letters",
    "Messages a daemon could never handle (a malformed event, one that breaks a rule), parked on the dead-letter topic instead of blocking the others.");
  const rows = [];
  for (const svc of PARKERS) {
    try {
      const text = await request(svc, "/metrics", { accept: "text/plain" }).then((b) => b.text());
      rows.push({ svc, n: counts(text), ok: true });
    } catch (e) {
      if (!e.errorCode) throw e;
      rows.push({ svc, n: null, ok: false, err: `${e.errorCode} ${e.message}` });
    }
  }
  const at = timestamp(new Date().toISOString());
  const list = h("div", { id: "dead-letter-counts" });
  clear(list, table(`Parked since each daemon started (read ${at})`, [
    { label: "Daemon", cell: (r) => r.svc },
    { label: "Dead letters", num: true, cell: (r) => (r.ok ? String(r.n) : "—") },
    { label: "Note", cell: (r) => (r.ok ? (r.n ? "see the topic below" : "none") : r.err) },
  ], rows));
  main.append(
    section("Counts", list),
    section("What, why, when",
      h("p", {}, "Each dead letter is one JSON message on the topic ", h("code", {}, "dead-letter"),
        " (BP_TOPIC_DEAD_LETTER): the consumer that parked it, the topic, partition and offset it came from, its key, ",
        h("strong", {}, "the reason"), ", the message itself (cut at a size limit) and, as the Kafka timestamp, when. ",
        "No daemon serves them over HTTP, so the console cannot list them; read them with kcat:"),
      h("pre", {}, h("code", {}, "kcat -b 127.0.0.1:9092 -C -t dead-letter -o beginning -e \\\n  -f '%T %k %s\\n'"))));
}
