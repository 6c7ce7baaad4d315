"""The measures of the 2 July 2015 statement and the events, one class each."""
