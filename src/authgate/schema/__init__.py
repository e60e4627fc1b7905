"""What collections and fields exist, with their Directus types and specials."""
