"""The caisse's own services: set-up (``setup``), its keys (``keyring``), the signed
trust list (``trust``), members, merchants, credential ``issuing``, paper
``vouchers``, activation ``codes`` and their throttle (``code_throttle``)."""
