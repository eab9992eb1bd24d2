"""The plan outside ptrx: the printed handout, the calendar feed, the FHIR R4 Bundle
and the patient's own data, each read through the selectors and the domain."""
