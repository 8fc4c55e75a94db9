"""A checkpoint saved in four shards and loaded back with transformers, so that its real
shard-loading progress bar is recorded (Live Avatar's loaders print such bars before any clip)."""
import sys
import tempfile

from transformers import BertConfig, BertModel

with tempfile.TemporaryDirectory() as d:
    cfg = BertConfig(hidden_size=256, num_hidden_layers=8, num_attention_heads=4, intermediate_size=1024)
    BertModel(cfg).save_pretrained(d, max_shard_size="5MB")
    print("saved shards:", sorted(f for f in __import__("os").listdir(d) if f.endswith(".safetensors")), flush=True)
    BertModel.from_pretrained(d)
print("loaded", flush=True)
