// The portal's shell: reads who the gateway is, connects the wallet, and shows one view per
// route (#/patient, #/doctor, #/clerk, #/auditor).

import { explain } from "./errors.js";
import { readInfo } from "./gateway.js";
import { el } from "./ui.js";
import { Wallet } from "./wallet.js";
import * as auditor from "./views/auditor.js";
import * as clerk from "./views/clerk.js";
import * as doctor from "./views/doctor.js";
import * as patient from "./views/patient.js";

const views = { patient, doctor, clerk, auditor };
const state = { info: null, wallet: null };

function notify(message, kind = "info") {
  const notice = document.getElementById("notice");
  notice.textContent = message;
  notice.className = kind === "error" ? "error" : "";
  notice.hidden = false;
  clearTimeout(notify.timer);
  notify.timer = setTimeout(() => { notice.hidden = true; }, kind === "error" ? 12000 : 6000);
}

/** Runs `work`, showing any failure as a sentence (never as raw JSON). */
async function guarded(work, target) {
  try {
    return await work();
  } catch (error) {
    const sentence = explain(error);
    if (target) target.replaceChildren(el("p", { class: "error-text", role: "alert" }, sentence));
    else notify(sentence, "error");
    return undefined;
  }
}

async function connect() {
  const provider = Wallet.provider();
  if (!provider) {
    notify("No wallet found. Install MetaMask (or another EIP-1193 wallet) and reload the page.", "error");
    return null;
  }
  const wallet = new Wallet(provider, state.info);
  const account = await guarded(() => wallet.connect());
  if (!account) return null;
  state.wallet = wallet;
  // The hospital's name as the chain has it, not as the gateway says: this is whose portal this is.
  await guarded(async () => {
    const custodian = await wallet.view("getCustodian", { custodian: state.info.custodian });
    document.getElementById("hospital").textContent = custodian.name
      ? `${custodian.name}${custodian.active ? "" : " (no longer in the consortium)"}`
      : "a gateway the consortium does not know";
  });
  document.getElementById("account").textContent = account;
  document.getElementById("connect").textContent = "Connected";
  document.getElementById("connect").disabled = true;
  render();
  return wallet;
}

function render() {
  const name = (location.hash.match(/^#\/(\w+)/) || [])[1];
  const view = Object.hasOwn(views, name || "") ? views[name] : null;
  for (const link of document.querySelectorAll("nav a")) {
    if (link.dataset.view === name) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  if (!view || !state.info) return;
  const main = document.getElementById("view");
  main.replaceChildren();
  const context = {
    info: state.info, wallet: state.wallet, main, notify, guarded,
    requireWallet: async () => state.wallet || (await connect()),
  };
  if (!state.wallet) {
    main.append(el("section", { class: "card" },
      el("h1", {}, view.title),
      el("p", {}, view.intro),
      el("button", { type: "button", onclick: () => connect() }, "Connect wallet to continue")));
    return;
  }
  guarded(() => view.render(context), main);
}

async function start() {
  document.getElementById("connect").addEventListener("click", () => connect());
  window.addEventListener("hashchange", render);
  state.info = await guarded(() => readInfo());
  if (!state.info) return;
  document.getElementById("gateway-line").textContent =
    `gateway of custodian ${state.info.custodian} · chain ${state.info.chainId}`;
  if (!location.hash) location.hash = "#/patient";
  render();
}

start();
