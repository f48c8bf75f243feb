"""Certificate request tokens and their redemption: the endpoints (`routes`), their bodies (`binding`), the
issued certificate's subject (`subject`), and their rows with single-use redemption (`store`)."""
