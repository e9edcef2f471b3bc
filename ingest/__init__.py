"""Stage 1: files -> clean text -> structure -> passages and elements."""
