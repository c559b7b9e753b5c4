"""The hosted page's words in English, Dutch, French and German.

Most are the widget's own (`plugin/i18n/*.js`), so a customer reads the same words
with and without JavaScript; the rest are the page's (titles, the form guard, the
names of days and months). A language without words here falls back to English.
Messages about a field's value are the API's own (`server.errors`), in English, so
the page and the API say the same thing about the same input.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Final

EN: Final[Mapping[str, str]] = {
    "page": "Book an appointment",
    "back": "Back",
    "continue": "Continue",
    "optional": "(optional)",
    "loading": "Loading the booking form…",
    "subject": "What would you like to talk about?",
    "meeting-type": "How would you like to meet?",
    "office": "Choose an office",
    "officeFrom": "The advisor comes to your address from the office you choose.",
    "timetable": "Choose a date and time",
    "questions": "A few questions",
    "customer": "Your details",
    "address": "Where should we meet you?",
    "confirmed": "Your appointment is booked",
    "requested": "Your request has been sent",
    "requestedNote": "The advisor will confirm the appointment with you.",
    "confirmedNote": "Add it to your calendar, and keep the link below to change or cancel it.",
    "OFFICE": "At one of our offices",
    "VIDEO": "A video call, wherever you are",
    "PHONE": "We call you",
    "ON_LOCATION": "We come to your address",
    "street": "Street and number",
    "postalCode": "Postal code",
    "city": "City",
    "country": "Country (two letters, such as BE)",
    "prevWeek": "Previous week",
    "nextWeek": "Next week",
    "timeZone": "Time zone",
    "timesIn": "Times are shown in {zone}.",
    "show": "Show",
    "noTimes": "No free times",
    "noSlotsWeek": "There are no free times this week.",
    "noSlots": "There are no free times in the coming weeks. Please try again later or"
    " choose something else.",
    "reserve": "Reserve this time",
    "taken": "Sorry, that time has just been taken. Please choose another time.",
    "challenge": (
        "Too many reservations came from your connection in a short time. To go on, "
        "please open this page in a browser with JavaScript turned on (it proves you "
        "are not a robot), or try again later."
    ),
    "expired": "We could not keep that time for you any longer. Please choose a time again.",
    "held": "We are keeping this time for you until {time}.",
    "firstName": "First name",
    "lastName": "Last name",
    "email": "Email address",
    "phone": "Phone number",
    "phoneHint": "We will call you on this number.",
    "language": "Preferred language",
    "chooseOne": "Please choose an option.",
    "fixErrors": "Please correct the fields marked below.",
    "problems": "There is a problem",
    "book": "Book appointment",
    "what": "Subject",
    "how": "Meeting",
    "where": "Place",
    "with": "With",
    "when": "When",
    "ics": "Download for your calendar (.ics)",
    "google": "Add to Google Calendar",
    "outlook": "Add to Outlook",
    "manageLink": "Change or cancel your appointment",
    "video": "Join the video call",
    "error": "Something went wrong on our side. Please try again.",
    "inviteInvalid": "This invitation link is no longer valid. You can still book an"
    " appointment below.",
    "inviteUsed": "This invitation link has already been used. You can still book an"
    " appointment below.",
    "inviteExpired": "This invitation link has expired. You can still book an appointment below.",
    "unavailable": "Booking is not available",
    "NO_SUBJECTS": "There is nothing to book here at the moment. Please come back later.",
    "CALENDAR_UNAVAILABLE": "No times can be offered at the moment. Please come back later.",
    "UNKNOWN": "This booking link points to something that cannot be booked online at the moment.",
    "manage": "Your appointment",
    "status": "Status",
    "status_confirmed": "Confirmed",
    "status_requested": "Waiting for confirmation",
    "status_cancelled": "Cancelled",
    "status_declined": "Declined",
    "reschedule": "Choose another time",
    "rescheduleTitle": "Choose a new date and time",
    "rescheduled": "Your appointment has been moved.",
    "cancel": "Cancel appointment",
    "cancelAsk": "Do you really want to cancel this appointment?",
    "cancelYes": "Yes, cancel it",
    "cancelNo": "No, keep it",
    "cancelled": "Your appointment has been cancelled.",
    "linkInvalid": "This link is not valid any more. Please book a new appointment or contact us.",
    "formRefused": "This form has expired or was not sent from this website. Please start again.",
    "startAgain": "Start again",
    "bookAnother": "Book another appointment",
    "languages": "Languages",
    "minutes": "{n} min",
    "days": "Monday Tuesday Wednesday Thursday Friday Saturday Sunday",
    "months": "January February March April May June July August September October"
    " November December",
    "date": "{weekday} {day} {month} {year}",
}

NL: Final[Mapping[str, str]] = {
    "page": "Een afspraak maken",
    "back": "Terug",
    "continue": "Verder",
    "optional": "(optioneel)",
    "loading": "Het afspraakformulier wordt geladen…",
    "subject": "Waarover wilt u praten?",
    "meeting-type": "Hoe wilt u afspreken?",
    "office": "Kies een kantoor",
    "officeFrom": "De adviseur komt naar uw adres vanuit het kantoor dat u kiest.",
    "timetable": "Kies een dag en tijd",
    "questions": "Enkele vragen",
    "customer": "Uw gegevens",
    "address": "Waar mogen we u bezoeken?",
    "confirmed": "Uw afspraak is gemaakt",
    "requested": "Uw aanvraag is verstuurd",
    "requestedNote": "De adviseur bevestigt de afspraak met u.",
    "confirmedNote": "Zet ze in uw agenda en bewaar de link hieronder om ze te wijzigen of te"
    " annuleren.",
    "OFFICE": "In een van onze kantoren",
    "VIDEO": "Een videogesprek, waar u ook bent",
    "PHONE": "Wij bellen u",
    "ON_LOCATION": "Wij komen naar uw adres",
    "street": "Straat en huisnummer",
    "postalCode": "Postcode",
    "city": "Gemeente",
    "country": "Land (twee letters, zoals BE)",
    "prevWeek": "Vorige week",
    "nextWeek": "Volgende week",
    "timeZone": "Tijdzone",
    "timesIn": "Tijden in {zone}.",
    "show": "Tonen",
    "noTimes": "Geen vrije tijden",
    "noSlotsWeek": "Deze week zijn er geen vrije tijden.",
    "noSlots": "Er zijn de komende weken geen vrije tijden. Probeer het later opnieuw of"
    " kies iets anders.",
    "reserve": "Dit tijdstip reserveren",
    "taken": "Sorry, dat tijdstip is net door iemand anders gekozen. Kies een ander tijdstip.",
    "challenge": (
        "Er kwamen in korte tijd te veel reserveringen van uw verbinding. Open deze "
        "pagina in een browser met JavaScript aan (daarmee bewijst u dat u geen robot "
        "bent), of probeer het later opnieuw."
    ),
    "expired": "We konden dat tijdstip niet langer voor u vasthouden. Kies opnieuw een tijdstip.",
    "held": "We houden dit tijdstip voor u vast tot {time}.",
    "firstName": "Voornaam",
    "lastName": "Achternaam",
    "email": "E-mailadres",
    "phone": "Telefoonnummer",
    "phoneHint": "We bellen u op dit nummer.",
    "language": "Voorkeurstaal",
    "chooseOne": "Kies een optie.",
    "fixErrors": "Verbeter de gemarkeerde velden.",
    "problems": "Er is een probleem",
    "book": "Afspraak maken",
    "what": "Onderwerp",
    "how": "Gesprek",
    "where": "Plaats",
    "with": "Met",
    "when": "Wanneer",
    "ics": "Downloaden voor uw agenda (.ics)",
    "google": "Toevoegen aan Google Agenda",
    "outlook": "Toevoegen aan Outlook",
    "manageLink": "Uw afspraak wijzigen of annuleren",
    "video": "Deelnemen aan het videogesprek",
    "error": "Er ging bij ons iets mis. Probeer het opnieuw.",
    "inviteInvalid": "Deze uitnodigingslink is niet meer geldig. U kunt hieronder wel een"
    " afspraak maken.",
    "inviteUsed": "Deze uitnodigingslink is al gebruikt. U kunt hieronder wel een afspraak maken.",
    "inviteExpired": "Deze uitnodigingslink is verlopen. U kunt hieronder wel een afspraak maken.",
    "unavailable": "Online afspreken is niet mogelijk",
    "NO_SUBJECTS": "Er valt hier momenteel niets te boeken. Kom later terug.",
    "CALENDAR_UNAVAILABLE": "Er kunnen momenteel geen tijdstippen aangeboden worden. Kom later"
    " terug.",
    "UNKNOWN": "Deze link verwijst naar iets wat momenteel niet online te boeken is.",
    "manage": "Uw afspraak",
    "status": "Status",
    "status_confirmed": "Bevestigd",
    "status_requested": "Wacht op bevestiging",
    "status_cancelled": "Geannuleerd",
    "status_declined": "Geweigerd",
    "reschedule": "Een ander tijdstip kiezen",
    "rescheduleTitle": "Kies een nieuwe dag en tijd",
    "rescheduled": "Uw afspraak is verplaatst.",
    "cancel": "Afspraak annuleren",
    "cancelAsk": "Wilt u deze afspraak echt annuleren?",
    "cancelYes": "Ja, annuleren",
    "cancelNo": "Nee, behouden",
    "cancelled": "Uw afspraak is geannuleerd.",
    "linkInvalid": "Deze link is niet meer geldig. Maak een nieuwe afspraak of neem contact"
    " met ons op.",
    "formRefused": "Dit formulier is verlopen of kwam niet van deze website. Begin opnieuw.",
    "startAgain": "Opnieuw beginnen",
    "bookAnother": "Een andere afspraak maken",
    "languages": "Talen",
    "minutes": "{n} min",
    "days": "maandag dinsdag woensdag donderdag vrijdag zaterdag zondag",
    "months": "januari februari maart april mei juni juli augustus september oktober"
    " november december",
    "date": "{weekday} {day} {month} {year}",
}

FR: Final[Mapping[str, str]] = {
    "page": "Prendre rendez-vous",
    "back": "Retour",
    "continue": "Continuer",
    "optional": "(facultatif)",
    "loading": "Chargement du formulaire de rendez-vous…",
    "subject": "De quoi souhaitez-vous parler ?",
    "meeting-type": "Comment souhaitez-vous nous rencontrer ?",
    "office": "Choisissez une agence",
    "officeFrom": "Le conseiller vient à votre adresse depuis l’agence que vous choisissez.",
    "timetable": "Choisissez un jour et une heure",
    "questions": "Quelques questions",
    "customer": "Vos coordonnées",
    "address": "Où pouvons-nous vous rencontrer ?",
    "confirmed": "Votre rendez-vous est confirmé",
    "requested": "Votre demande a été envoyée",
    "requestedNote": "Le conseiller vous confirmera le rendez-vous.",
    "confirmedNote": "Ajoutez-le à votre agenda et gardez le lien ci-dessous pour le modifier"
    " ou l’annuler.",
    "OFFICE": "Dans une de nos agences",
    "VIDEO": "Un appel vidéo, où que vous soyez",
    "PHONE": "Nous vous appelons",
    "ON_LOCATION": "Nous venons à votre adresse",
    "street": "Rue et numéro",
    "postalCode": "Code postal",
    "city": "Localité",
    "country": "Pays (deux lettres, comme BE)",
    "prevWeek": "Semaine précédente",
    "nextWeek": "Semaine suivante",
    "timeZone": "Fuseau horaire",
    "timesIn": "Heures affichées selon le fuseau {zone}.",
    "show": "Afficher",
    "noTimes": "Aucune heure libre",
    "noSlotsWeek": "Aucune heure libre cette semaine.",
    "noSlots": "Aucune heure libre dans les semaines à venir. Réessayez plus tard ou"
    " choisissez autre chose.",
    "reserve": "Réserver cette heure",
    "taken": "Désolé, cette heure vient d’être prise. Choisissez une autre heure.",
    "challenge": (
        "Trop de réservations sont venues de votre connexion en peu de temps. Pour "
        "continuer, ouvrez cette page dans un navigateur avec JavaScript activé (il "
        "prouve que vous n’êtes pas un robot), ou réessayez plus tard."
    ),
    "expired": "Nous ne pouvions plus vous garder cette heure. Choisissez à nouveau une heure.",
    "held": "Nous vous gardons cette heure jusqu’à {time}.",
    "firstName": "Prénom",
    "lastName": "Nom",
    "email": "Adresse e-mail",
    "phone": "Numéro de téléphone",
    "phoneHint": "Nous vous appellerons à ce numéro.",
    "language": "Langue préférée",
    "chooseOne": "Veuillez choisir une option.",
    "fixErrors": "Veuillez corriger les champs signalés.",
    "problems": "Il y a un problème",
    "book": "Prendre rendez-vous",
    "what": "Sujet",
    "how": "Entretien",
    "where": "Lieu",
    "with": "Avec",
    "when": "Quand",
    "ics": "Télécharger pour votre agenda (.ics)",
    "google": "Ajouter à Google Agenda",
    "outlook": "Ajouter à Outlook",
    "manageLink": "Modifier ou annuler votre rendez-vous",
    "video": "Rejoindre l’appel vidéo",
    "error": "Un problème est survenu de notre côté. Veuillez réessayer.",
    "inviteInvalid": "Ce lien d’invitation n’est plus valable. Vous pouvez tout de même"
    " prendre rendez-vous ci-dessous.",
    "inviteUsed": "Ce lien d’invitation a déjà été utilisé. Vous pouvez tout de même prendre"
    " rendez-vous ci-dessous.",
    "inviteExpired": "Ce lien d’invitation a expiré. Vous pouvez tout de même prendre"
    " rendez-vous ci-dessous.",
    "unavailable": "La prise de rendez-vous n’est pas disponible",
    "NO_SUBJECTS": "Il n’y a rien à réserver ici pour le moment. Revenez plus tard.",
    "CALENDAR_UNAVAILABLE": "Aucun créneau ne peut être proposé pour le moment. Revenez plus tard.",
    "UNKNOWN": "Ce lien mène à quelque chose qui ne peut pas être réservé en ligne pour le moment.",
    "manage": "Votre rendez-vous",
    "status": "Statut",
    "status_confirmed": "Confirmé",
    "status_requested": "En attente de confirmation",
    "status_cancelled": "Annulé",
    "status_declined": "Refusé",
    "reschedule": "Choisir une autre heure",
    "rescheduleTitle": "Choisissez un nouveau jour et une nouvelle heure",
    "rescheduled": "Votre rendez-vous a été déplacé.",
    "cancel": "Annuler le rendez-vous",
    "cancelAsk": "Voulez-vous vraiment annuler ce rendez-vous ?",
    "cancelYes": "Oui, l’annuler",
    "cancelNo": "Non, le garder",
    "cancelled": "Votre rendez-vous a été annulé.",
    "linkInvalid": "Ce lien n’est plus valable. Prenez un nouveau rendez-vous ou contactez-nous.",
    "formRefused": "Ce formulaire a expiré ou ne vient pas de ce site. Veuillez recommencer.",
    "startAgain": "Recommencer",
    "bookAnother": "Prendre un autre rendez-vous",
    "languages": "Langues",
    "minutes": "{n} min",
    "days": "lundi mardi mercredi jeudi vendredi samedi dimanche",
    "months": "janvier février mars avril mai juin juillet août septembre octobre novembre"
    " décembre",
    "date": "{weekday} {day} {month} {year}",
}

DE: Final[Mapping[str, str]] = {
    "page": "Einen Termin buchen",
    "back": "Zurück",
    "continue": "Weiter",
    "optional": "(optional)",
    "loading": "Das Buchungsformular wird geladen…",
    "subject": "Worüber möchten Sie sprechen?",
    "meeting-type": "Wie möchten Sie sich treffen?",
    "office": "Wählen Sie eine Filiale",
    "officeFrom": "Die Beratung kommt aus der gewählten Filiale zu Ihnen.",
    "timetable": "Wählen Sie Tag und Uhrzeit",
    "questions": "Einige Fragen",
    "customer": "Ihre Angaben",
    "address": "Wo dürfen wir Sie besuchen?",
    "confirmed": "Ihr Termin ist gebucht",
    "requested": "Ihre Anfrage wurde gesendet",
    "requestedNote": "Die Beraterin oder der Berater bestätigt Ihnen den Termin.",
    "confirmedNote": "Tragen Sie ihn in Ihren Kalender ein und bewahren Sie den Link unten"
    " auf, um ihn zu ändern oder abzusagen.",
    "OFFICE": "In einer unserer Filialen",
    "VIDEO": "Per Videoanruf, wo immer Sie sind",
    "PHONE": "Wir rufen Sie an",
    "ON_LOCATION": "Wir kommen zu Ihnen",
    "street": "Straße und Hausnummer",
    "postalCode": "Postleitzahl",
    "city": "Ort",
    "country": "Land (zwei Buchstaben, z. B. DE)",
    "prevWeek": "Vorige Woche",
    "nextWeek": "Nächste Woche",
    "timeZone": "Zeitzone",
    "timesIn": "Uhrzeiten in der Zeitzone {zone}.",
    "show": "Anzeigen",
    "noTimes": "Keine freien Zeiten",
    "noSlotsWeek": "In dieser Woche gibt es keine freien Zeiten.",
    "noSlots": "In den kommenden Wochen gibt es keine freien Zeiten. Versuchen Sie es später"
    " erneut oder wählen Sie etwas anderes.",
    "reserve": "Diese Zeit reservieren",
    "taken": "Leider wurde diese Zeit gerade vergeben. Bitte wählen Sie eine andere Zeit.",
    "challenge": (
        "Von Ihrer Verbindung kamen in kurzer Zeit zu viele Reservierungen. Um "
        "fortzufahren, öffnen Sie diese Seite bitte in einem Browser mit aktiviertem "
        "JavaScript (damit weisen Sie nach, dass Sie kein Roboter sind), oder versuchen "
        "Sie es später erneut."
    ),
    "expired": "Wir konnten diese Zeit nicht länger für Sie freihalten. Bitte wählen Sie"
    " erneut eine Zeit.",
    "held": "Wir halten diese Zeit bis {time} Uhr für Sie frei.",
    "firstName": "Vorname",
    "lastName": "Nachname",
    "email": "E-Mail-Adresse",
    "phone": "Telefonnummer",
    "phoneHint": "Wir rufen Sie unter dieser Nummer an.",
    "language": "Bevorzugte Sprache",
    "chooseOne": "Bitte wählen Sie eine Option.",
    "fixErrors": "Bitte korrigieren Sie die markierten Felder.",
    "problems": "Es gibt ein Problem",
    "book": "Termin buchen",
    "what": "Thema",
    "how": "Gespräch",
    "where": "Ort",
    "with": "Mit",
    "when": "Wann",
    "ics": "Für Ihren Kalender herunterladen (.ics)",
    "google": "Zu Google Kalender hinzufügen",
    "outlook": "Zu Outlook hinzufügen",
    "manageLink": "Termin ändern oder absagen",
    "video": "Am Videoanruf teilnehmen",
    "error": "Bei uns ist etwas schiefgelaufen. Bitte versuchen Sie es erneut.",
    "inviteInvalid": "Dieser Einladungslink ist nicht mehr gültig. Sie können unten trotzdem"
    " einen Termin buchen.",
    "inviteUsed": "Dieser Einladungslink wurde bereits verwendet. Sie können unten trotzdem"
    " einen Termin buchen.",
    "inviteExpired": "Dieser Einladungslink ist abgelaufen. Sie können unten trotzdem einen"
    " Termin buchen.",
    "unavailable": "Online-Terminbuchung nicht verfügbar",
    "NO_SUBJECTS": "Hier kann derzeit nichts gebucht werden. Bitte schauen Sie später wieder"
    " vorbei.",
    "CALENDAR_UNAVAILABLE": "Derzeit können keine Zeiten angeboten werden. Bitte schauen Sie"
    " später wieder vorbei.",
    "UNKNOWN": "Dieser Link führt zu etwas, das derzeit nicht online buchbar ist.",
    "manage": "Ihr Termin",
    "status": "Status",
    "status_confirmed": "Bestätigt",
    "status_requested": "Wartet auf Bestätigung",
    "status_cancelled": "Abgesagt",
    "status_declined": "Abgelehnt",
    "reschedule": "Andere Zeit wählen",
    "rescheduleTitle": "Wählen Sie einen neuen Tag und eine neue Uhrzeit",
    "rescheduled": "Ihr Termin wurde verschoben.",
    "cancel": "Termin absagen",
    "cancelAsk": "Möchten Sie diesen Termin wirklich absagen?",
    "cancelYes": "Ja, absagen",
    "cancelNo": "Nein, behalten",
    "cancelled": "Ihr Termin wurde abgesagt.",
    "linkInvalid": "Dieser Link ist nicht mehr gültig. Bitte buchen Sie einen neuen Termin"
    " oder kontaktieren Sie uns.",
    "formRefused": "Dieses Formular ist abgelaufen oder kam nicht von dieser Website. Bitte"
    " beginnen Sie erneut.",
    "startAgain": "Neu beginnen",
    "bookAnother": "Einen weiteren Termin buchen",
    "languages": "Sprachen",
    "minutes": "{n} Min.",
    "days": "Montag Dienstag Mittwoch Donnerstag Freitag Samstag Sonntag",
    "months": "Januar Februar März April Mai Juni Juli August September Oktober November Dezember",
    "date": "{weekday}, {day}. {month} {year}",
}

WORDS: Final[Mapping[str, Mapping[str, str]]] = {"en": EN, "nl": NL, "fr": FR, "de": DE}
#: Each language named in itself, for the page's language links.
LANGUAGE_NAMES: Final[Mapping[str, str]] = {
    "en": "English",
    "nl": "Nederlands",
    "fr": "Français",
    "de": "Deutsch",
}


class Words:
    """The page's words in one language (English where that language has none)."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self._words = WORDS.get(lang.split("-")[0], EN)

    def __call__(self, key: str, **fields: object) -> str:
        text = self._words.get(key) or EN.get(key) or key
        return text.format(**fields) if fields else text

    def date(self, day: date) -> str:
        """ "Wednesday 2 December 2026", in this language."""
        return self("date").format(
            weekday=self("days").split()[day.weekday()],
            day=day.day,
            month=self("months").split()[day.month - 1],
            year=day.year,
        )


__all__ = ["LANGUAGE_NAMES", "WORDS", "Words"]
