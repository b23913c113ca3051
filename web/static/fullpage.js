window.LR_CONFIG = Object.assign(window.LR_CONFIG || {}, { fullPage: true });
