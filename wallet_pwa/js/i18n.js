// French, Dutch and English: chosen from the browser, switchable, remembered. Amounts
// and dates go through Intl with the Belgian locale of each language (12,34 € in fr-BE).

export const LANGUAGES = { fr: 'Français', nl: 'Nederlands', en: 'English' };
const LOCALES = { fr: 'fr-BE', nl: 'nl-BE', en: 'en-BE' };

const MESSAGES = {
  fr: {
    title: 'Mon portefeuille alimentaire',
    language: 'Langue',
    welcome: 'Bienvenue',
    welcomeText: 'Ouvrez le lien d’activation reçu de la caisse, ou tapez votre code ci-dessous.',
    activationCode: 'Code d’activation',
    activate: 'Activer',
    activating: 'Activation en cours…',
    balanceLabel: 'Solde disponible',
    periodUntil: 'Valable jusqu’au {date}',
    monthlyAllowance: 'Allocation du mois : {amount}',
    amountLabel: 'Montant à payer (en euros)',
    amountHint: 'Par exemple 12,34',
    pay: 'Payer',
    history: 'Mes paiements',
    noPayments: 'Aucun paiement ce mois-ci.',
    paymentNumber: 'Paiement n° {seq}',
    notCharged: 'annulé, non compté',
    lastSynced: 'Dernière mise à jour : {date}',
    neverSynced: 'Pas encore mis à jour',
    online: 'En ligne',
    offline: 'Hors ligne — le paiement fonctionne quand même',
    refresh: 'Mettre à jour',
    qrTitle: 'Montrez ce code au commerçant',
    qrAlt: 'Code QR de paiement de {amount}',
    close: 'Terminé',
    showAgain: 'Montrer à nouveau',
    errAmount: 'Tapez un montant comme 12,34.',
    errOverBalance: 'Ce montant dépasse votre solde ({amount}).',
    errCodeInvalid: 'Ce code d’activation n’est pas valable ou a déjà été utilisé. Demandez un nouveau lien à la caisse.',
    errNetwork: 'Pas de connexion. Réessayez quand vous êtes en ligne.',
    errServer: 'La caisse ne répond pas correctement. Réessayez plus tard.',
    errKeyRefused: 'La caisse ne reconnaît plus ce portefeuille (a-t-il été activé sur un autre téléphone ?). Votre solde et vos paiements restent enregistrés ici. Contactez la caisse.',
    errNoCredential: 'Pas d’allocation valable pour ce mois. Connectez-vous à internet pour la recevoir.',
    errAlreadyActive: 'Ce portefeuille est déjà activé.',
    errStorage: 'Votre téléphone refuse d’enregistrer les données du portefeuille.',
    errInsecure: 'Cette page doit être ouverte avec une adresse en https:// pour que le portefeuille fonctionne : ouvrez {url}',
    errBadCredential: 'La caisse a envoyé une allocation illisible. Contactez-la.',
    activated: 'Portefeuille activé.',
    synced: 'Mis à jour.',
  },
  nl: {
    title: 'Mijn voedingsportefeuille',
    language: 'Taal',
    welcome: 'Welkom',
    welcomeText: 'Open de activeringslink die je van de kas kreeg, of typ hieronder je code.',
    activationCode: 'Activeringscode',
    activate: 'Activeren',
    activating: 'Bezig met activeren…',
    balanceLabel: 'Beschikbaar saldo',
    periodUntil: 'Geldig tot {date}',
    monthlyAllowance: 'Bedrag van de maand: {amount}',
    amountLabel: 'Te betalen bedrag (in euro)',
    amountHint: 'Bijvoorbeeld 12,34',
    pay: 'Betalen',
    history: 'Mijn betalingen',
    noPayments: 'Nog geen betalingen deze maand.',
    paymentNumber: 'Betaling nr. {seq}',
    notCharged: 'geannuleerd, niet aangerekend',
    lastSynced: 'Laatst bijgewerkt: {date}',
    neverSynced: 'Nog niet bijgewerkt',
    online: 'Online',
    offline: 'Offline — betalen lukt toch',
    refresh: 'Bijwerken',
    qrTitle: 'Toon deze code aan de handelaar',
    qrAlt: 'QR-code voor een betaling van {amount}',
    close: 'Klaar',
    showAgain: 'Opnieuw tonen',
    errAmount: 'Typ een bedrag zoals 12,34.',
    errOverBalance: 'Dit bedrag is hoger dan je saldo ({amount}).',
    errCodeInvalid: 'Deze activeringscode is ongeldig of al gebruikt. Vraag de kas om een nieuwe link.',
    errNetwork: 'Geen verbinding. Probeer opnieuw als je online bent.',
    errServer: 'De kas antwoordt niet correct. Probeer later opnieuw.',
    errKeyRefused: 'De kas herkent deze portefeuille niet meer (werd hij op een andere telefoon geactiveerd?). Je saldo en betalingen blijven hier bewaard. Neem contact op met de kas.',
    errNoCredential: 'Geen geldig bedrag voor deze maand. Ga online om het te ontvangen.',
    errAlreadyActive: 'Deze portefeuille is al geactiveerd.',
    errStorage: 'Je telefoon weigert de gegevens van de portefeuille op te slaan.',
    errInsecure: 'Deze pagina moet met een adres in https:// geopend worden om de portefeuille te laten werken: open {url}',
    errBadCredential: 'De kas stuurde een onleesbaar bedrag. Neem contact op.',
    activated: 'Portefeuille geactiveerd.',
    synced: 'Bijgewerkt.',
  },
  en: {
    title: 'My food wallet',
    language: 'Language',
    welcome: 'Welcome',
    welcomeText: 'Open the activation link you received from the caisse, or type your code below.',
    activationCode: 'Activation code',
    activate: 'Activate',
    activating: 'Activating…',
    balanceLabel: 'Available balance',
    periodUntil: 'Valid until {date}',
    monthlyAllowance: 'Allowance this month: {amount}',
    amountLabel: 'Amount to pay (in euros)',
    amountHint: 'For example 12.34',
    pay: 'Pay',
    history: 'My payments',
    noPayments: 'No payments this month yet.',
    paymentNumber: 'Payment no. {seq}',
    notCharged: 'cancelled, not charged',
    lastSynced: 'Last updated: {date}',
    neverSynced: 'Not updated yet',
    online: 'Online',
    offline: 'Offline — paying still works',
    refresh: 'Update',
    qrTitle: 'Show this code to the shop',
    qrAlt: 'Payment QR code for {amount}',
    close: 'Done',
    showAgain: 'Show again',
    errAmount: 'Type an amount such as 12.34.',
    errOverBalance: 'This amount is more than your balance ({amount}).',
    errCodeInvalid: 'This activation code is not valid or was already used. Ask the caisse for a new link.',
    errNetwork: 'No connection. Try again when you are online.',
    errServer: 'The caisse is not answering properly. Try again later.',
    errKeyRefused: 'The caisse no longer recognises this wallet (was it activated on another phone?). Your balance and payments stay saved here. Please contact the caisse.',
    errNoCredential: 'No valid allowance for this month. Go online to receive it.',
    errAlreadyActive: 'This wallet is already activated.',
    errStorage: 'Your phone refuses to store the wallet’s data.',
    errInsecure: 'This page must be opened over https:// for the wallet to work: open {url}',
    errBadCredential: 'The caisse sent an unreadable allowance. Please contact it.',
    activated: 'Wallet activated.',
    synced: 'Updated.',
  },
};

/** The first of the browser's languages the wallet speaks; French otherwise. */
export function browserLanguage(languages = globalThis.navigator?.languages ?? []) {
  for (const tag of languages) {
    const base = String(tag).toLowerCase().split('-')[0];
    if (base in MESSAGES) return base;
  }
  return 'fr';
}

export function translator(lang) {
  const table = MESSAGES[lang] ?? MESSAGES.fr;
  const locale = LOCALES[lang] ?? LOCALES.fr;
  const money = new Intl.NumberFormat(locale, { style: 'currency', currency: 'EUR' });
  const dateTime = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' });
  const dateOnly = new Intl.DateTimeFormat(locale, { dateStyle: 'long' });
  const t = (key, params = {}) =>
    (table[key] ?? MESSAGES.en[key] ?? key).replace(/\{(\w+)\}/g, (_, name) => String(params[name] ?? ''));
  t.lang = lang in MESSAGES ? lang : 'fr';
  t.money = (cents) => money.format(cents / 100);
  t.dateTime = (epochSeconds) => dateTime.format(new Date(epochSeconds * 1000));
  t.date = (epochSeconds) => dateOnly.format(new Date(epochSeconds * 1000));
  return t;
}

export function messageKeys() {
  return Object.fromEntries(Object.entries(MESSAGES).map(([lang, table]) => [lang, Object.keys(table)]));
}
