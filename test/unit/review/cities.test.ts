import { expect, it } from 'vitest';
import { cityIn } from '../../../src/review/cities.ts';

it('finds the first city a listing names, in any script and case ending', () => {
  expect(cityIn('Меф кристалл VHQ — Алматы, закладки 24/7')).toBe('Almaty');
  expect(cityIn('Доставка по Москве и области')).toBe('Moscow');
  expect(cityIn('Спайс — Душанбе, за 1 час')).toBe('Dushanbe');
  expect(cityIn('冰毒 高纯度 上海 同城埋包')).toBe('Shanghai');
  expect(cityIn('Toshkent bo‘ylab yetkazib berish')).toBe('Tashkent');
  expect(cityIn('Ош шаарында')).toBe('Osh');
  // Not inside other words, and none at all.
  expect(cityIn('Мосты и тоннели')).toBeNull();
  expect(cityIn('gosh, what a mess')).toBeNull();
  expect(cityIn('Ошибка доставки')).toBeNull();
  expect(cityIn('Закладки в Ош')).toBe('Osh');
  expect(cityIn('Продам велосипед')).toBeNull();
});
