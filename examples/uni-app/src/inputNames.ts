// uni-app's H5 <input> draws its placeholder in an element of its own and gives the native input none,
// nor a label: a screen reader would announce a field with no name. Each is named by its placeholder's
// words, as the pages are drawn (uni-app passes no aria-label through to the native input).
function nameInputs(): void {
  document.querySelectorAll<HTMLInputElement>('uni-input input:not([aria-label])').forEach((input) => {
    const words = input.closest('uni-input')?.querySelector('.uni-input-placeholder')?.textContent?.trim();
    if (words) input.setAttribute('aria-label', words);
  });
}

new MutationObserver(nameInputs).observe(document.documentElement, { childList: true, subtree: true });
