"""`python -m kernel_lab.bench`: kernel_lab vs PyTorch vs the Triton twins (docs/python.md)."""
