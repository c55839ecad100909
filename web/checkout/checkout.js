// <taramoney-checkout>: a drop-in Orange Money / MTN MoMo checkout for the payments API.
//
// No framework, no build step: import this module and place the element.
//   <script type="module" src="https://pay.example.com/checkout/checkout.js"></script>
//   <taramoney-checkout api-url="https://pay.example.com" amount="1500"
//       product-id="tshirt-42" product-name="T-shirt" lang="fr"></taramoney-checkout>
//
// Flow: phone number (operator guessed as the customer types, refusals made here before
// any request) -> POST /payments with an Idempotency-Key kept for the attempt -> the USSD
// code to dial, in large type -> GET /payments/{id} polled with backoff until SUCCESS,
// FAILURE or EXPIRED. Each step is announced (aria-live) and moves the focus.
// The element fires bubbling, composed events: taramoney-payment-started,
// taramoney-payment-succeeded, taramoney-payment-failed, taramoney-payment-expired
// (event.detail is the payment view).

const STYLESHEET = new URL("./checkout.css", import.meta.url).href;
const FINAL_STATUSES = new Set(["SUCCESS", "FAILURE", "EXPIRED"]);
const POLL_FIRST_DELAY_MS = 1000;
const POLL_MAX_DELAY_MS = 8000;
const POLL_BACKOFF = 1.5;
// A request the network swallows (a phone between two cells) must not leave the page waiting
// forever: a status read is given up after READ_TIMEOUT_MS, as a lost connection is, and a
// payment's start after START_TIMEOUT_MS, past the 30 s API Gateway gives the API to answer.
// A start given up keeps its Idempotency-Key, so pressing Pay again cannot pay twice.
const READ_TIMEOUT_MS = 10_000;
const START_TIMEOUT_MS = 35_000;
const IN_PROGRESS_RETRIES = 5;
// The failureReason of a payment the API closed because its order never reached the operator.
const NEVER_SENT_REASON = "PROVIDER_UNREACHABLE";

// Prefixes of Cameroon's national plan (9 digits). Numbers are portable: this is a hint,
// the operator that counts is the one the API answers with (`vendor`).
const OPERATOR_PREFIXES = [
  [/^6(?:4[0-2]|5[5-9]|8[6-9]|9\d)/, "orange"],
  [/^6(?:5[0-4]|7\d|8[0-3])/, "mtn"],
  [/^6(?:6\d|8[45])/, "nexttel"],
  [/^(?:62\d|24[23])/, "camtel"], // 242 and 243: Camtel's fixed-wireless "mobile" numbers
];
const SUPPORTED_OPERATORS = new Set(["orange", "mtn"]);
const OPERATOR_BY_VENDOR = { ORANGE_CAMEROON: "orange", MTN_CAMEROON: "mtn" };
const DEFAULT_USSD = { orange: "#150*50#", mtn: "*126#" };

// ---------------------------------------------------------------------------------------
// Phone numbers: the forms of the API contract, `6XXXXXXXX`, `+2376XXXXXXXX`,
// `2376XXXXXXXX`, `002376XXXXXXXX`, with or without spaces, dots or dashes.

const ACCEPTED_CHARACTERS = /^\+?[0-9][0-9 .-]*$/;

/** The national digits typed so far, or why they cannot be a Cameroon number. */
function nationalDigits(raw) {
  const text = raw.trim();
  if (text === "" || text === "+") return { digits: "" };
  if (!ACCEPTED_CHARACTERS.test(text)) return { reason: "characters" };
  // "+00" counts as "00", as the API reads it (phonenumbers' rule: no country code starts with 0).
  const digits = text.replace(/[ .-]/g, "").replace(/^\+0/, "0");
  const international = digits.startsWith("+") ? digits.slice(1) : digits.startsWith("00") ? digits.slice(2) : null;
  if (international !== null) {
    if ("237".startsWith(international)) return { digits: "" };
    if (!international.startsWith("237")) return { reason: "country" };
    return { digits: international.slice(3) };
  }
  if (digits.startsWith("237") && (digits.length > 9 || digits.startsWith("2376"))) return { digits: digits.slice(3) };
  return { digits };
}

function operatorOf(national) {
  const match = OPERATOR_PREFIXES.find(([prefix]) => prefix.test(national));
  return match ? match[1] : null;
}

/**
 * Parse what the customer typed.
 * @returns {{ok: true, national: string, operator: "orange"|"mtn"} |
 *           {ok: false, reason: string, operator?: string}}
 */
export function parsePhoneNumber(raw) {
  const { digits, reason } = nationalDigits(String(raw ?? ""));
  if (reason) return { ok: false, reason };
  if (digits === "") return { ok: false, reason: "empty" };
  if (!/^[26]/.test(digits)) return { ok: false, reason: "prefix" };
  if (digits.length < 9) return { ok: false, reason: "short" };
  if (digits.length > 9) return { ok: false, reason: "long" };
  const operator = operatorOf(digits);
  if (!operator) return { ok: false, reason: digits.startsWith("2") ? "landline" : "prefix" };
  if (!SUPPORTED_OPERATORS.has(operator)) return { ok: false, reason: "unsupported", operator };
  return { ok: true, national: digits, operator };
}

/** What can be said while the customer is still typing: an operator, a refusal, or nothing yet. */
export function describePartialNumber(raw) {
  const { digits, reason } = nationalDigits(String(raw ?? ""));
  if (reason) return { reason };
  if (digits.length > 9) return { reason: "long" };
  if (digits !== "" && !/^[26]/.test(digits)) return { reason: "prefix" };
  if (digits.length < 3) return {};
  const operator = operatorOf(digits);
  if (!operator) return { reason: digits.startsWith("2") ? "landline" : "prefix" };
  if (!SUPPORTED_OPERATORS.has(operator)) return { reason: "unsupported", operator };
  return { operator };
}

/** `655123456` -> `6 55 12 34 56`, the way Cameroonians write it. */
export function formatNational(national) {
  return national.replace(/^(\d)(\d{2})(\d{2})(\d{2})(\d{2})$/, "$1\u00a0$2\u00a0$3\u00a0$4\u00a0$5");
}

// ---------------------------------------------------------------------------------------
// Texts. Functions take what they need; `amount` is already formatted.

const TEXTS = {
  en: {
    region: "Mobile money payment",
    phoneLabel: "Orange Money or MTN MoMo number",
    phoneHint: "For example 6\u00a055\u00a012\u00a034\u00a056 or +237\u00a06\u00a055\u00a012\u00a034\u00a056",
    pay: (amount) => `Pay ${amount}`,
    starting: "Starting the payment…",
    operators: { orange: "Orange Money", mtn: "MTN Mobile Money", nexttel: "Nexttel", camtel: "Camtel" },
    looksLike: (operator) => `Looks like an ${operator} number.`,
    reasons: {
      empty: "Enter the mobile money number that will pay.",
      characters: "Use digits only (a leading +, spaces, dots and dashes are fine).",
      country: "Only Cameroon numbers (+237) can pay here.",
      landline: "This looks like a landline: enter a mobile number starting with 6.",
      prefix: "This is not a Cameroon mobile number: please check the digits.",
      short: "This number is too short: a Cameroon mobile number has 9 digits.",
      long: "This number is too long: a Cameroon mobile number has 9 digits.",
      unsupported: (operator) => `${operator} numbers cannot pay here: use an Orange Money or MTN MoMo number.`,
    },
    pendingTitle: "Confirm on your phone",
    codeLabel: (operator) => `${operator} code to dial`,
    steps: {
      orange: (p) => [
        `On the phone ${p.phone}, dial ${p.code}.`,
        `Choose the payment of ${p.amount} for “${p.product}” and enter your Orange Money secret code.`,
        "Keep this page open: it updates by itself.",
      ],
      mtn: (p) => [
        `On the phone ${p.phone}, dial ${p.code}.`,
        `Approve the payment of ${p.amount} for “${p.product}” and enter your MoMo PIN.`,
        "Keep this page open: it updates by itself.",
      ],
      other: (p) => [
        `On the phone ${p.phone}, dial ${p.code} and follow the instructions.`,
        "Keep this page open: it updates by itself.",
      ],
      unknownCode: (p) => [
        `The operator is slow to answer. If the phone ${p.phone} shows a payment request of ${p.amount}, confirm it.`,
        "Keep this page open: it updates by itself.",
      ],
    },
    dialNow: "Dial now (on this phone)",
    waiting: "Waiting for your confirmation…",
    checkingAgain: "Connection lost, checking again…",
    successTitle: "Payment received",
    success: (p) => `${p.amount} paid with ${p.operator} for “${p.product}”. Thank you!`,
    failureTitle: "Payment failed",
    failure: "The payment was not completed. You can try again.",
    operatorSaid: (reason) => `The operator said: ${reason}`,
    failureCode: (code) => `Code: ${code}`,
    expiredTitle: "Time is up",
    expired: "The payment was not confirmed in time. You can start again.",
    reference: (id) => `Reference: ${id}`,
    tryAgain: "Try again",
    misconfigured: "This checkout is not set up correctly. Please contact the shop.",
    errors: {
      network: "The payment service cannot be reached. Check your connection and try again.",
      MALFORMED_JSON: "The payment service could not read the request. Reload the page and try again.",
      PAYLOAD_TOO_LARGE: "The payment request is too large. Please contact the shop.",
      VALIDATION_ERROR: (fields) => `The shop sent details the payment service refused (${fields}). Please contact the shop.`,
      INVALID_PHONE_NUMBER: "This is not a valid Cameroon mobile number.",
      UNSUPPORTED_OPERATOR: "Only Orange Money and MTN MoMo numbers can pay here.",
      IDEMPOTENCY_KEY_REUSED: "This attempt was already used with other details. Press the button again to start anew.",
      REQUEST_IN_PROGRESS: "Your payment is still being started. Please wait a moment and try again.",
      TOO_MANY_PENDING_PAYMENTS:
        "This number already has payments waiting for confirmation. Confirm or refuse them on your phone, or wait a few minutes, then try again.",
      PAYMENT_NOT_FOUND: "This payment can no longer be found. Please contact the shop.",
      PROVIDER_REJECTED: "The operator refused the payment.",
      PROVIDER_UNAVAILABLE: "The mobile money service is not answering right now. No payment was made: try again in a few minutes.",
      SERVICE_UNAVAILABLE: "The payment service is briefly unavailable. No payment was made: try again in a few seconds.",
      unknown: (status) => `Something went wrong (error ${status}). Please try again.`,
    },
  },
  fr: {
    region: "Paiement mobile money",
    phoneLabel: "Numéro Orange Money ou MTN MoMo",
    phoneHint: "Par exemple 6\u00a055\u00a012\u00a034\u00a056 ou +237\u00a06\u00a055\u00a012\u00a034\u00a056",
    pay: (amount) => `Payer ${amount}`,
    starting: "Lancement du paiement…",
    operators: { orange: "Orange Money", mtn: "MTN Mobile Money", nexttel: "Nexttel", camtel: "Camtel" },
    looksLike: (operator) => `Ce numéro semble être un numéro ${operator}.`,
    reasons: {
      empty: "Saisissez le numéro mobile money qui va payer.",
      characters: "Utilisez uniquement des chiffres (le + initial, les espaces, points et tirets sont acceptés).",
      country: "Seuls les numéros camerounais (+237) peuvent payer ici.",
      landline: "Ce numéro semble être un fixe : saisissez un numéro mobile qui commence par 6.",
      prefix: "Ce n'est pas un numéro mobile camerounais : vérifiez les chiffres.",
      short: "Ce numéro est trop court : un numéro mobile camerounais a 9 chiffres.",
      long: "Ce numéro est trop long : un numéro mobile camerounais a 9 chiffres.",
      unsupported: (operator) =>
        `Les numéros ${operator} ne peuvent pas payer ici : utilisez un numéro Orange Money ou MTN MoMo.`,
    },
    pendingTitle: "Confirmez sur votre téléphone",
    codeLabel: (operator) => `Code ${operator} à composer`,
    steps: {
      orange: (p) => [
        `Sur le téléphone ${p.phone}, composez ${p.code}.`,
        `Choisissez le paiement de ${p.amount} pour « ${p.product} » et saisissez votre code secret Orange Money.`,
        "Gardez cette page ouverte : elle se met à jour toute seule.",
      ],
      mtn: (p) => [
        `Sur le téléphone ${p.phone}, composez ${p.code}.`,
        `Approuvez le paiement de ${p.amount} pour « ${p.product} » et saisissez votre code PIN MoMo.`,
        "Gardez cette page ouverte : elle se met à jour toute seule.",
      ],
      other: (p) => [
        `Sur le téléphone ${p.phone}, composez ${p.code} et suivez les instructions.`,
        "Gardez cette page ouverte : elle se met à jour toute seule.",
      ],
      unknownCode: (p) => [
        `L'opérateur tarde à répondre. Si le téléphone ${p.phone} affiche une demande de paiement de ${p.amount}, confirmez-la.`,
        "Gardez cette page ouverte : elle se met à jour toute seule.",
      ],
    },
    dialNow: "Composer maintenant (sur ce téléphone)",
    waiting: "En attente de votre confirmation…",
    checkingAgain: "Connexion perdue, nouvelle vérification…",
    successTitle: "Paiement reçu",
    success: (p) => `${p.amount} payés avec ${p.operator} pour « ${p.product} ». Merci !`,
    failureTitle: "Le paiement a échoué",
    failure: "Le paiement n'a pas abouti. Vous pouvez réessayer.",
    operatorSaid: (reason) => `Message de l'opérateur : ${reason}`,
    failureCode: (code) => `Code : ${code}`,
    expiredTitle: "Délai dépassé",
    expired: "Le paiement n'a pas été confirmé à temps. Vous pouvez recommencer.",
    reference: (id) => `Référence : ${id}`,
    tryAgain: "Réessayer",
    misconfigured: "Ce module de paiement est mal configuré. Merci de contacter la boutique.",
    errors: {
      network: "Le service de paiement est injoignable. Vérifiez votre connexion et réessayez.",
      MALFORMED_JSON: "Le service de paiement n'a pas pu lire la demande. Rechargez la page et réessayez.",
      PAYLOAD_TOO_LARGE: "La demande de paiement est trop volumineuse. Merci de contacter la boutique.",
      VALIDATION_ERROR: (fields) =>
        `La boutique a envoyé des informations refusées par le service de paiement (${fields}). Merci de la contacter.`,
      INVALID_PHONE_NUMBER: "Ce n'est pas un numéro mobile camerounais valide.",
      UNSUPPORTED_OPERATOR: "Seuls les numéros Orange Money et MTN MoMo peuvent payer ici.",
      IDEMPOTENCY_KEY_REUSED:
        "Cette tentative a déjà servi avec d'autres informations. Appuyez de nouveau sur le bouton pour recommencer.",
      REQUEST_IN_PROGRESS: "Votre paiement est encore en cours de lancement. Patientez un instant puis réessayez.",
      TOO_MANY_PENDING_PAYMENTS:
        "Ce numéro a déjà des paiements en attente de confirmation. Confirmez-les ou refusez-les sur votre téléphone, ou patientez quelques minutes, puis réessayez.",
      PAYMENT_NOT_FOUND: "Ce paiement est introuvable. Merci de contacter la boutique.",
      PROVIDER_REJECTED: "L'opérateur a refusé le paiement.",
      PROVIDER_UNAVAILABLE:
        "Le service mobile money ne répond pas pour le moment. Aucun paiement n'a été effectué : réessayez dans quelques minutes.",
      SERVICE_UNAVAILABLE:
        "Le service de paiement est momentanément indisponible. Aucun paiement n'a été effectué : réessayez dans quelques secondes.",
      unknown: (status) => `Une erreur est survenue (erreur ${status}). Merci de réessayer.`,
    },
  },
};

function languageOf(element) {
  const wanted = (element.getAttribute("lang") || document.documentElement.lang || navigator.language || "fr")
    .slice(0, 2)
    .toLowerCase();
  return wanted in TEXTS ? wanted : "fr";
}

function newIdempotencyKey() {
  if (globalThis.crypto?.randomUUID) return crypto.randomUUID();
  // randomUUID needs a secure context (https or localhost); getRandomValues does not.
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// `work(signal)` with its requests aborted after `ms`, or as soon as `outer` is (a poll replaced).
async function within(ms, outer, work) {
  const controller = new AbortController();
  const abort = () => controller.abort();
  const timer = setTimeout(abort, ms);
  if (outer?.aborted) abort();
  outer?.addEventListener("abort", abort, { once: true });
  try {
    return await work(controller.signal);
  } finally {
    clearTimeout(timer);
    outer?.removeEventListener("abort", abort);
  }
}

const TEMPLATE = document.createElement("template");
TEMPLATE.innerHTML = `
<link rel="stylesheet" href="${STYLESHEET}">
<section class="checkout" id="checkout" part="checkout">
  <header class="summary">
    <h2 id="product" class="product"></h2>
    <p class="amount" id="amount"></p>
  </header>

  <form class="form" id="form" novalidate>
    <label for="phone" id="phone-label"></label>
    <input id="phone" name="phone" type="tel" inputmode="tel" autocomplete="tel" spellcheck="false"
           aria-describedby="phone-hint phone-operator phone-error">
    <p class="hint" id="phone-hint"></p>
    <p class="operator-guess" id="phone-operator" aria-live="polite"></p>
    <p class="field-error" id="phone-error" hidden></p>
    <button class="pay" id="pay" type="submit"></button>
  </form>

  <div class="pending" id="pending" hidden>
    <h3 id="pending-title" tabindex="-1"></h3>
    <p class="ussd-label" id="ussd-label"></p>
    <p class="ussd" id="ussd"></p>
    <ol class="steps" id="steps"></ol>
    <a class="dial" id="dial" hidden></a>
  </div>

  <div class="result" id="result" hidden>
    <h3 id="result-title" tabindex="-1"></h3>
    <p id="result-text"></p>
    <p class="reason" id="result-reason" hidden></p>
    <p class="reference" id="result-reference"></p>
    <button class="again" id="again" type="button"></button>
  </div>

  <p class="status" id="status" role="status" aria-live="polite"></p>
  <p class="alert" id="alert" role="alert"></p>
</section>`;

export class TaramoneyCheckout extends HTMLElement {
  static observedAttributes = ["api-url", "amount", "product-id", "product-name", "lang"];

  #root;
  #el = {};
  #phase = "form"; // form | submitting | pending | success | failure | expired
  #attempt = null; // {key, body}: one Idempotency-Key per payment attempt
  #payment = null;
  #pollTimer = null;
  #pollDelay = POLL_FIRST_DELAY_MS;
  #pollController = null;
  #statusKey = null;
  #alert = null; // {code, status, fields} of the last refusal shown
  #fieldReason = null;
  #lastGuess = "";

  constructor() {
    super();
    this.#root = this.attachShadow({ mode: "open" });
    this.#root.append(TEMPLATE.content.cloneNode(true));
    for (const node of this.#root.querySelectorAll("[id]")) this.#el[node.id] = node;
    this.#el.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.#start();
    });
    this.#el.phone.addEventListener("input", () => this.#onPhoneInput());
    this.#el.again.addEventListener("click", () => this.#startAgain());
  }

  // Back on the page after dialling: ask at once rather than at the end of a long backoff.
  #onVisible = () => {
    if (document.visibilityState === "visible" && this.#phase === "pending") this.#pollSoon(0);
  };

  connectedCallback() {
    document.addEventListener("visibilitychange", this.#onVisible);
    this.#render();
  }

  disconnectedCallback() {
    document.removeEventListener("visibilitychange", this.#onVisible);
    this.#stopPolling();
  }

  attributeChangedCallback() {
    if (this.isConnected) this.#render();
  }

  // ----- configuration ------------------------------------------------------------------

  get #texts() {
    return TEXTS[languageOf(this)];
  }

  get #config() {
    const amount = Number(this.getAttribute("amount"));
    return {
      apiUrl: (this.getAttribute("api-url") || "").replace(/\/+$/, ""),
      amount,
      productId: this.getAttribute("product-id") || "",
      productName: this.getAttribute("product-name") || "",
      valid:
        Boolean(this.getAttribute("api-url")) &&
        Number.isInteger(amount) &&
        amount > 0 &&
        Boolean(this.getAttribute("product-id")) &&
        Boolean(this.getAttribute("product-name")),
    };
  }

  #formatAmount(amount) {
    const locale = languageOf(this) === "fr" ? "fr-CM" : "en-CM";
    return new Intl.NumberFormat(locale, { style: "currency", currency: "XAF", maximumFractionDigits: 0 }).format(amount);
  }

  // ----- rendering ----------------------------------------------------------------------

  #render() {
    const t = this.#texts;
    const config = this.#config;
    const el = this.#el;
    this.#root.host.setAttribute("data-phase", this.#phase);
    el.checkout.setAttribute("lang", languageOf(this));
    el.checkout.setAttribute("aria-label", t.region);
    el.product.textContent = config.productName;
    el.amount.textContent = Number.isInteger(config.amount) ? this.#formatAmount(config.amount) : "";
    el["phone-label"].textContent = t.phoneLabel;
    el["phone-hint"].textContent = t.phoneHint;
    const amount = Number.isInteger(config.amount) ? this.#formatAmount(config.amount) : "";
    el.pay.textContent = this.#phase === "submitting" ? t.starting : t.pay(amount).trim();
    el.pay.disabled = this.#phase === "submitting" || !config.valid;
    el.phone.readOnly = this.#phase === "submitting";
    el.pay.setAttribute("aria-busy", String(this.#phase === "submitting"));
    el.again.textContent = t.tryAgain;
    el.form.hidden = !["form", "submitting"].includes(this.#phase);
    el.pending.hidden = this.#phase !== "pending";
    el.result.hidden = !["success", "failure", "expired"].includes(this.#phase);
    this.#renderGuess();
    this.#renderFieldError();
    this.#renderAlert(config);
    const status = this.#statusKey ? t[this.#statusKey] : "";
    if (el.status.textContent !== status) el.status.textContent = status; // a live region: no repeats
    if (this.#phase === "pending") this.#renderPending();
    if (!el.result.hidden) this.#renderResult();
  }

  #renderGuess() {
    const t = this.#texts;
    const guess = describePartialNumber(this.#el.phone.value);
    let text = "";
    if (this.#fieldReason && guess.reason) text = ""; // the field's error already says it
    else if (guess.operator && !guess.reason) text = t.looksLike(t.operators[guess.operator]);
    else if (guess.reason === "unsupported") text = t.reasons.unsupported(t.operators[guess.operator]);
    else if (guess.reason && guess.reason !== "short") text = t.reasons[guess.reason];
    // Only touch the live region when the message changes, so typing is not read aloud digit by digit.
    if (text !== this.#lastGuess) {
      this.#el["phone-operator"].textContent = text;
      this.#lastGuess = text;
    }
    this.#el["phone-operator"].dataset.operator = guess.reason ? "refused" : guess.operator || "";
  }

  #renderFieldError() {
    const { phone, "phone-error": error } = this.#el;
    const reason = this.#fieldReason;
    error.hidden = !reason;
    phone.setAttribute("aria-invalid", String(Boolean(reason)));
    if (!reason) {
      error.textContent = "";
      return;
    }
    const t = this.#texts;
    error.textContent =
      typeof reason === "string"
        ? t.reasons[reason] ?? t.errors[reason]
        : t.reasons.unsupported(t.operators[reason.operator]);
  }

  #renderAlert(config) {
    const t = this.#texts;
    const alert = this.#alert;
    let text = "";
    if (!config.valid) text = t.misconfigured;
    else if (alert) {
      const message = t.errors[alert.code];
      if (typeof message === "function") text = alert.code === "VALIDATION_ERROR" ? message(alert.fields) : message(alert.status);
      else text = message ?? t.errors.unknown(alert.status);
    }
    if (this.#el.alert.textContent !== text) this.#el.alert.textContent = text;
  }

  #paymentWords(payment) {
    const t = this.#texts;
    const operator = OPERATOR_BY_VENDOR[payment.vendor] || operatorOf(payment.phoneNumber || "") || null;
    return {
      operator,
      operatorName: operator ? t.operators[operator] : "",
      amount: this.#formatAmount(payment.productPrice ?? this.#config.amount),
      product: payment.productName || this.#config.productName,
      phone: formatNational(payment.phoneNumber || ""),
    };
  }

  #renderPending() {
    const t = this.#texts;
    const el = this.#el;
    const payment = this.#payment;
    const words = this.#paymentWords(payment);
    // Show the code Taramoney answered; the operator's usual code only if it said nothing.
    const code = payment.ussdCode || (payment.vendor ? DEFAULT_USSD[words.operator] : null);
    el["pending-title"].textContent = t.pendingTitle;
    el["ussd-label"].textContent = code ? t.codeLabel(words.operatorName || "USSD") : "";
    el.ussd.textContent = code || "";
    el.ussd.hidden = !code;
    el.pending.dataset.operator = words.operator || "";
    const steps = !code
      ? t.steps.unknownCode(words)
      : (t.steps[words.operator] || t.steps.other)({ ...words, code });
    el.steps.replaceChildren(
      ...steps.map((step) => {
        const item = document.createElement("li");
        item.textContent = step;
        return item;
      }),
    );
    el.dial.hidden = !code;
    if (code) {
      el.dial.href = `tel:${encodeURIComponent(code)}`;
      el.dial.textContent = t.dialNow;
    }
  }

  #renderResult() {
    const t = this.#texts;
    const el = this.#el;
    const payment = this.#payment;
    const words = this.#paymentWords(payment);
    el.result.dataset.outcome = this.#phase;
    el["result-title"].textContent = t[`${this.#phase}Title`];
    el["result-text"].textContent =
      this.#phase === "success" ? t.success({ ...words, operator: words.operatorName || "mobile money" }) : t[this.#phase];
    const reason = this.#phase === "failure" ? payment.failureReason : null;
    // A sentence is shown as the operator's words; a machine code (PROVIDER_REPORTED_FAILURE) only for support.
    const isCode = Boolean(reason) && /^[A-Z0-9_]+$/.test(reason);
    el["result-reason"].hidden = !reason;
    el["result-reason"].classList.toggle("code", isCode);
    el["result-reason"].textContent = !reason ? "" : isCode ? t.failureCode(reason) : t.operatorSaid(reason);
    if (isCode) {
      // Let a long code wrap at its underscores rather than in the middle of a word.
      const parts = t.failureCode(reason).split("_");
      el["result-reason"].replaceChildren(
        ...parts.flatMap((part, index) => (index ? ["_", document.createElement("wbr"), part] : [part])),
      );
    }
    el["result-reference"].textContent = payment.paymentId ? t.reference(payment.paymentId) : "";
    el.again.hidden = this.#phase === "success";
  }

  #setPhase(phase, { focus } = {}) {
    this.#phase = phase;
    this.#render();
    if (focus) this.#el[focus].focus();
  }

  // ----- the flow -----------------------------------------------------------------------

  #onPhoneInput() {
    if (this.#fieldReason) this.#fieldReason = null;
    this.#renderGuess();
    this.#renderFieldError();
  }

  async #start() {
    if (this.#phase !== "form") return; // a second click while a request is in flight does nothing
    const config = this.#config;
    if (!config.valid) return;
    this.#alert = null;
    const parsed = parsePhoneNumber(this.#el.phone.value);
    if (!parsed.ok) {
      this.#fieldReason = parsed.reason === "unsupported" ? { operator: parsed.operator } : parsed.reason;
      this.#setPhase("form", { focus: "phone" });
      return;
    }
    this.#fieldReason = null;
    const body = JSON.stringify({
      productId: config.productId,
      productName: config.productName,
      productPrice: config.amount,
      phoneNumber: parsed.national,
    });
    // Same body as the unanswered attempt before it (a lost answer, a retry): same key, so it pays once.
    if (!this.#attempt || this.#attempt.body !== body) this.#attempt = { key: newIdempotencyKey(), body };
    this.#statusKey = "starting";
    this.#setPhase("submitting");

    let answer;
    for (let tries = 0; ; tries += 1) {
      answer = await this.#post(config.apiUrl, this.#attempt);
      if (answer.problem?.code !== "REQUEST_IN_PROGRESS" || tries >= IN_PROGRESS_RETRIES) break;
      await sleep(1000 * (tries + 1));
    }
    this.#afterPost(answer);
  }

  async #post(apiUrl, attempt) {
    try {
      return await within(START_TIMEOUT_MS, null, async (signal) => {
        const response = await fetch(`${apiUrl}/payments`, {
          method: "POST",
          headers: { "Content-Type": "application/json", "Idempotency-Key": attempt.key },
          body: attempt.body,
          signal,
        });
        const data = await response.json().catch(() => null);
        if (response.status === 201 && data?.paymentId) return { payment: data };
        return { problem: { ...(data || {}), status: response.status, code: data?.code || "unknown" } };
      });
    } catch {
      return { problem: { status: 0, code: "network" } };
    }
  }

  async #afterPost({ payment, problem }) {
    this.#statusKey = null;
    if (payment) {
      this.#attempt = null;
      this.#emit("started", payment);
      this.#showPending(payment);
      return;
    }
    const code = problem.code;
    if (code === "INVALID_PHONE_NUMBER" || code === "UNSUPPORTED_OPERATOR") {
      this.#attempt = null;
      this.#fieldReason = code;
      this.#setPhase("form", { focus: "phone" });
      return;
    }
    const phoneRefused = (problem.errors || []).find((error) => error.field === "phoneNumber");
    if (code === "VALIDATION_ERROR" && phoneRefused) {
      this.#attempt = null;
      this.#fieldReason = "INVALID_PHONE_NUMBER";
      this.#setPhase("form", { focus: "phone" });
      return;
    }
    if (problem.paymentId && (code === "PROVIDER_REJECTED" || code === "PROVIDER_UNAVAILABLE")) {
      // The payment exists: its own status says whether it failed or may still go through.
      const asked = JSON.parse(this.#attempt.body);
      this.#attempt = null;
      const known = await this.#fetchPayment(problem.paymentId);
      if (known?.status === "PENDING") {
        this.#showPending(known);
        return;
      }
      if (known?.status === "SUCCESS" || known?.status === "EXPIRED") {
        this.#finish(known); // settled meanwhile: the customer confirmed (or let it lapse) already
        return;
      }
      if (code === "PROVIDER_REJECTED") {
        const refused = { ...asked, paymentId: problem.paymentId, status: "FAILURE", failureReason: problem.detail };
        this.#finish(known?.status === "FAILURE" ? known : refused);
        return;
      }
      if (known?.status !== "FAILURE") {
        // Its status could not be read, and the order may have reached the operator: the page
        // watches this payment until it settles, and never invites a second one meanwhile.
        this.#showPending({ ...asked, paymentId: problem.paymentId, status: "PENDING", vendor: null, ussdCode: null });
        return;
      }
      if (known.failureReason !== NEVER_SENT_REASON) {
        this.#finish(known); // the order reached the operator, and failed there (the customer refused, say)
        return;
      }
      // Closed before the operator had the order, so nothing was charged: a new attempt may start.
    }
    // Keep the key after a lost answer or a request still running: the same attempt must not pay twice.
    if (!["network", "REQUEST_IN_PROGRESS"].includes(code) && problem.status < 500) this.#attempt = null;
    this.#alert = {
      code: code in this.#texts.errors ? code : "unknown",
      status: problem.status,
      fields: (problem.errors || []).map((error) => error.field).join(", "),
    };
    this.#setPhase("form", { focus: "pay" });
  }

  // The payment as the API reads it now; null when it cannot be read (no answer in READ_TIMEOUT_MS).
  async #fetchPayment(paymentId, outer) {
    return within(READ_TIMEOUT_MS, outer, async (signal) => {
      const response = await fetch(`${this.#config.apiUrl}/payments/${encodeURIComponent(paymentId)}`, {
        headers: { Accept: "application/json" },
        signal,
      }).catch(() => null);
      if (!response) return null;
      if (response.status === 404) return { notFound: true };
      if (!response.ok) return null;
      return await response.json().catch(() => null);
    });
  }

  #showPending(payment) {
    this.#payment = payment;
    this.#statusKey = "waiting";
    this.#pollDelay = POLL_FIRST_DELAY_MS;
    this.#setPhase("pending", { focus: "pending-title" });
    this.#pollSoon(this.#pollDelay);
  }

  #pollSoon(delay) {
    clearTimeout(this.#pollTimer);
    const jitter = delay * 0.1 * Math.random();
    this.#pollTimer = setTimeout(() => this.#poll(), delay + jitter);
  }

  async #poll() {
    if (this.#phase !== "pending") return;
    this.#pollController?.abort();
    const replaced = (this.#pollController = new AbortController()).signal;
    const payment = await this.#fetchPayment(this.#payment.paymentId, replaced);
    if (this.#phase !== "pending" || replaced.aborted) return; // a newer read (or none) has the say
    if (payment?.notFound) {
      this.#statusKey = null;
      this.#alert = { code: "PAYMENT_NOT_FOUND", status: 404 };
      this.#finish({ ...this.#payment, status: "FAILURE" });
      return;
    }
    if (payment && FINAL_STATUSES.has(payment.status)) {
      this.#finish(payment);
      return;
    }
    if (payment) {
      const codeCame = payment.ussdCode !== this.#payment.ussdCode || payment.vendor !== this.#payment.vendor;
      this.#payment = payment;
      if (codeCame) this.#renderPending(); // late, after a provider time-out
    }
    const statusKey = payment ? "waiting" : "checkingAgain";
    if (statusKey !== this.#statusKey) {
      this.#statusKey = statusKey;
      this.#el.status.textContent = this.#texts[statusKey];
    }
    this.#pollDelay = Math.min(this.#pollDelay * POLL_BACKOFF, POLL_MAX_DELAY_MS);
    this.#pollSoon(this.#pollDelay);
  }

  #stopPolling() {
    clearTimeout(this.#pollTimer);
    this.#pollController?.abort();
  }

  #finish(payment) {
    this.#stopPolling();
    this.#payment = payment;
    const phase = { SUCCESS: "success", FAILURE: "failure", EXPIRED: "expired" }[payment.status];
    this.#statusKey = `${phase}Title`;
    this.#setPhase(phase, { focus: "result-title" });
    this.#emit({ success: "succeeded", failure: "failed", expired: "expired" }[phase], payment);
  }

  // A failed or expired payment may still turn SUCCESS (the money moved after all): it is read
  // once more before a new attempt, so a customer debited meanwhile sees it rather than pays twice.
  async #startAgain() {
    const previous = this.#payment?.paymentId;
    if (previous) {
      this.#el.again.disabled = true;
      const now = await this.#fetchPayment(previous);
      this.#el.again.disabled = false;
      if (now?.status === "SUCCESS") {
        this.#finish(now);
        return;
      }
    }
    this.#restart();
  }

  #restart() {
    this.#stopPolling();
    this.#payment = null;
    this.#attempt = null;
    this.#alert = null;
    this.#statusKey = null;
    this.#setPhase("form", { focus: "phone" });
  }

  #emit(what, payment) {
    this.dispatchEvent(new CustomEvent(`taramoney-payment-${what}`, { detail: payment, bubbles: true, composed: true }));
  }
}

if (!customElements.get("taramoney-checkout")) customElements.define("taramoney-checkout", TaramoneyCheckout);
