"""The Inpaint task: the mask layer (mask_model, history, ops, render, mask_io: no Qt) and
its views (painter, panel, controller: Qt)."""
