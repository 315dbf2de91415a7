"""Message-passing primitives and the CPU thread pools they run on."""
