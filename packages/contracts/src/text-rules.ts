/**
 * Rules for text people write that others see (names, topics, messages), shared so that a name
 * refused in one service is refused in every other.
 */

/**
 * Half of a UTF-16 surrogate pair without the other half: no character at all, and stored by the
 * database as U+FFFD, so what is read back is not what was written.
 */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Characters that show nothing by themselves: whitespace, control and format characters, the
 * default-ignorable ones (zero-width spaces and joiners, the word joiner, the byte order mark, the
 * soft hyphen, direction marks and controls, variation selectors, Hangul fillers), combining marks
 * (drawn on the character before them, and stacked over the lines around when there is none) and
 * the blank braille pattern.
 */
const INVISIBLE = /[\s\p{Cc}\p{Cf}\p{M}\p{Default_Ignorable_Code_Point}\u2800]/gu;

/** Whether every UTF-16 surrogate in `value` is half of a pair. */
export function hasNoLoneSurrogate(value: string): boolean {
  return !LONE_SURROGATE.test(value);
}

/** Whether `value` shows anything at all: a text made only of invisible characters does not. */
export function hasVisibleCharacter(value: string): boolean {
  return value.replace(INVISIBLE, '').length > 0;
}
