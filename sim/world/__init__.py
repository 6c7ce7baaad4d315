"""The map of Calais: terrain, places, fences and walking routes."""
