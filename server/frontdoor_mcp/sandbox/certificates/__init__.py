"""Client certificates, as the guide describes them: the endpoints (`routes`) and their rows (`store`)."""
