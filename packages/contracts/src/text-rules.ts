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

/** Control characters but the tab, line feed and carriage return. */
const STRAY_CONTROL = /(?![\t\n\r])\p{Cc}/u;

/**
 * Bidirectional embeddings and overrides (U+202A to U+202E): they reorder everything after them
 * up to a pop, so text beside them (a name, a link) can read as something else. Marks and isolates
 * stay, which right-to-left writing needs and which reach no further than their own run.
 */
const DIRECTION_OVERRIDE = /[\u202A-\u202E]/;

/**
 * Whether `value` holds no control character but tabs and line breaks: a terminal escape or a NUL
 * in a topic or status does no good anywhere it is shown.
 */
export function hasNoStrayControl(value: string): boolean {
  return !STRAY_CONTROL.test(value);
}

/** Whether `value` holds no bidirectional embedding or override. */
export function hasNoDirectionOverride(value: string): boolean {
  return !DIRECTION_OVERRIDE.test(value);
}
