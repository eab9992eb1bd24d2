// Every word the patient app shows, in one catalogue (English; ready for translation).
// Functions take the values they put in the sentence.

export const LOCALE = undefined; // the browser's own locale, for dates and numbers

export const t = {
  appName: "ptrx",
  skip: "Skip to content",

  // log in
  loginHeading: "Log in to your exercise plan",
  username: "Username",
  password: "Password",
  logIn: "Log in",
  loggingIn: "Logging in…",
  loginFailed: "That username and password did not match. Please try again.",
  notAPatient: "This app is for patients. Therapists use the clinic's admin site.",
  tooManyLogins: (seconds) => `Too many attempts. Try again in ${Math.ceil(seconds / 60)} minute(s).`,
  loginOffline: "You are offline. Connect to the internet to log in.",

  // navigation
  nav: "Main",
  navToday: "Today",
  navPlan: "Plan",
  navProgress: "Progress",
  navCheckIn: "Check-in",
  navMessages: "Messages",
  navSettings: "Settings",
  logOut: "Log out",
  logOutUnsent: (count) =>
    `${count} thing(s) saved on this device have not been sent yet and will be lost if you log out now. Log out anyway?`,

  // status and offline
  offline: "You are offline. What you log is saved on this device and sent when you are back online.",
  savedOnDevice: "Saved on this device",
  waiting: (count) => `Saved on this device: ${count} waiting to be sent.`,
  synced: "Synced: nothing is waiting on this device.",
  refusedHeading: "Not accepted by the clinic's server",
  refusedIntro: "These were saved on this device but the server did not accept them. Nothing else was lost.",
  dismiss: "Dismiss",
  queuedCompletion: (name, date) => `Session of ${name} on ${date}`,
  queuedAcknowledgement: (name, date) => `${name} marked as read on ${date}`,
  queuedCheckIn: (date) => `Check-in on ${date}`,
  loadFailed: "This could not be loaded. Check your connection and try again.",
  retry: "Try again",
  staleCopy: (date) => `You are offline: this is what was saved on this device for ${date}.`,
  loading: "Loading…",

  // today
  today: "Today",
  restDay: "Today is a rest day: no exercises are planned. Enjoy it.",
  noPlan: "You have no active plan at the moment. If your plan has been paused, speak to your therapist before you exercise again.",
  estimated: (minutes) => `About ${minutes} minute(s) for one round of today's exercises.`,
  leftToday: (sessions) =>
    sessions === 0 ? "" : `${sessions} exercise session(s) left today.`,
  allDone: "All done for today",
  allDoneMore: "Every exercise session for today is logged. Well done.",
  phaseLabel: (number) => `Phase ${number}`,
  // The dose as the prescription gives it, e.g. "2 sets of 10, hold 5 s each, on each side, 3 times a day".
  dose: ({ sets, reps, hold_seconds: hold, side, sessions_per_day: sessions }) =>
    [
      `${sets} set${sets === 1 ? "" : "s"} of ${reps}`,
      hold > 0 ? `hold ${hold} s each` : "",
      { left: "on the left side", right: "on the right side", bilateral: "on each side" }[side] || "",
      sessions === 1 ? "once a day" : `${sessions} times a day`,
    ].filter(Boolean).join(", "),
  sessionsDone: (done, total) => `${done} of ${total} session(s) done today`,
  howTo: "How to do it",
  steps: "Steps",
  cues: "Tips",
  cautions: "Stop if",
  equipment: (what) => `You need: ${what}`,
  easierVersion: (name) => `Easier version: ${name}`,
  easierHint: "Use the easier version if this one hurts more than the pain guide allows.",
  advice: "Advice",
  logSession: "Log session",
  setsDone: "Sets done",
  painDuring: "Pain during (0-10)",
  effort: "Effort (0-10, optional)",
  save: "Save",
  cancel: "Cancel",
  markRead: "Mark as read",
  read: "Read today",
  doneForToday: "Done for today",
  painRequired: "Give your pain from 0 to 10.",
  setsRequired: "Give the number of sets you did.",

  // the pain guide (CLINICAL.md §4, the traffic light)
  painGuide: "Pain guide",
  painZones: {
    green: { name: "0-3 Fine", text: "Fine: carry on." },
    amber: {
      name: "4-5 Take care",
      text: "Take care: ease off if the pain has not settled by the next morning.",
    },
    red: { name: "6-10 Stop", text: "Stop, and use the easier version." },
  },

  // plan
  planHeading: "Your plan",
  noPlanYet: "You have no plan yet. Your therapist will set one up with you.",
  planStatus: { active: "Active", paused: "Paused", completed: "Completed", cancelled: "Cancelled" },
  phaseStatus: { current: "Now", completed: "Done", upcoming: "Coming later" },
  phaseTitle: (number, name) => `Phase ${number}: ${name}`,
  goal: "Goal",
  exercisesInPhase: "Exercises",
  nextPhase: "What the next phase asks",
  startedOn: (date) => `Started on ${date}`,

  // progress
  progressHeading: "Progress",
  adherenceHeading: "Sessions done",
  adherenceLine: (days, completed, prescribed, percent) =>
    `Last ${days} days: ${completed} of ${prescribed} sessions (${percent}%).`,
  streak: (days) => `${days} day(s) in a row with every session done.`,
  painChartHeading: "Pain over the last 28 days",
  painDuringSeries: "Highest pain during exercise",
  painMorningSeries: "Pain the next morning",
  chartSummary: (series, count, latest) =>
    count === 0 ? `${series}: nothing logged yet.` : `${series}: ${count} day(s) logged, latest ${latest} out of 10.`,
  showTable: "Show the numbers",
  date: "Date",
  pain: "Pain (0-10)",
  nothingYet: "Nothing logged yet.",

  // check-in
  checkInHeading: "Check-in",
  checkInIntro: "How are you today? The four questions about new symptoms are asked at every check-in.",
  painNow: "Pain now (0-10)",
  painMorning: "Pain this morning (0-10)",
  flare: "Flare-up",
  flareHint: "Tick if you are having a flare-up of your pain.",
  yes: "Yes",
  no: "No",
  answerAll: "Answer yes or no to each question.",
  sendCheckIn: "Send check-in",
  checkInSent: "Check-in sent. Thank you.",
  checkInSaved: "Check-in saved on this device. It will be sent when you are back online.",
  urgentCareHeading: "Get urgent medical care today",
  urgentCareText: [
    "You answered yes to a question about a new or worsening symptom that needs a doctor the same day.",
    "Stop your exercises. Go to an emergency department or call your local emergency number now.",
    "Do not wait to hear from your therapist.",
  ],
  contactTherapistHeading: "Stop and contact your therapist",
  contactTherapistText:
    "Please stop your exercises and speak to your therapist before you exercise again. Your plan is paused and your therapist has been told.",
  urgentSent: "Your answers have reached the clinic: your plan is paused and your therapist has been told.",
  urgentQueued:
    "Your answers are saved on this device. When they reach the clinic, your plan will be paused and your therapist told.",
  backToApp: "Back to the app",

  // messages
  messagesHeading: "Messages",
  noMessages: "No messages yet.",

  // settings
  settingsHeading: "Settings",
  reminderTime: "Reminder time",
  timeZone: "Time zone",
  sendReminders: "Send me reminders",
  deviceZone: (zone) => `This device is set to ${zone}.`,
  useDeviceZone: "Use this device's time zone",
  saveSettings: "Save settings",
  settingsSaved: "Settings saved.",
  settingsOffline: "You are offline. Settings can be changed when you are back online.",
  signedInAs: (name) => `Logged in as ${name}.`,
};
