// The four emergency questions asked at every check-in (CLINICAL.md §5). The shell page
// carries them from the server's red-flag screen, so the words are written once.
export const EMERGENCY_QUESTIONS = JSON.parse(document.getElementById("emergency-questions").textContent);
