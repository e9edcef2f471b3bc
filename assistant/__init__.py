"""Stage 3: retrieve, rerank, answer and cite over the stored corpus."""
