/**
 * Tray and window icons, embedded so the shell needs no asset files at run time
 * (generated once from a vector key shape; the 1024 px app icon for installers is assets/icon.png).
 */
import { nativeImage, type NativeImage } from 'electron';
import { markIconBitmap } from './icon-marks.js';
import type { TrayIconState } from './tray-menu.js';

/** macOS menu-bar template (black + alpha; macOS tints it), 16 pt at 1x and 2x. */
const TEMPLATE_16 =
  'iVBORw0KGgoAAAANSUhEUgAAABAAAAAQCAYAAAAf8/9hAAAAmElEQVR42mNgGGpAFIinMjAwsJOr+SoDA8N/qCFkawbhGHI1X4XiHwwMDO64NMgAFYUyMDBoY7F5DlTsLDYDQAGzGEkxCH9EsrkCarM2Lpv7kDTeQTNEFMl1OMEPqIZkKN8SyRBtQgGljKSYD0kc5pJQYkL7FVIc80FdAjNUhhgDCtECEIYXkxLnhUgu+QENWLKSrTLdchcAzcs3W6xZVlQAAAAASUVORK5CYII=';
const TEMPLATE_32 =
  'iVBORw0KGgoAAAANSUhEUgAAACAAAAAgCAYAAABzenr0AAABHElEQVR42u1WMQ6EIBCczs7OV9DZ2dn5EDteYHmdL/AFvuA6X2BnySeuu87Ok2RNDFkuEkAaJ9lEDGGGWXYBePAgPmoARSryBsAKQKUQcZBvFLeKMMk3GtepyHXIlOQ6PgBECttvEWEjb8j6qCJsts8AMpojfQTo0mn3xfr9e9jJOgDlhZzrmAwRTuQ5EdoIlMX2l/F/MNa8vGv1Z2dcHDn37oDassWD3PsOkBaSmXL6taQjGBRTNpWRx4kRUYYgLy620JxxogshQDACbGVjujDEEmCzdjbm9SEEZExtj8y8ihHahjqEb2bxkZwQp45mlmGwx0bl2AOC5f+M3oFcubTY0CKW2O+8is7Eyuxanm666MjoAIqUb/wHUfADUTnbsrm6qEAAAAAASUVORK5CYII=';
/** Windows and Linux: a coloured tile that reads on light and dark panels. */
const COLOR_16 =
  'iVBORw0KGgoAAAANSUhEUgAAABAAAAAQCAYAAAAf8/9hAAAA1klEQVR42mOwjr7NYB192886+vZZ6+jb/4nEZ6F6GGCa/5OJ/RhItBnDJQykaMhpeYIhRrQBa3d/+A8C6IYwkKIZBHrnvyLNAJjmc9e+gTX/+vXvf2DufdwGzFjx5v+Xb3/BCm/e/wHWvOPIp//vP/75H1P2EEUzhgEgG0Dg3pOf/y/f/g5mgwwBybml3MXqQhQDTl78CrYZphhkCIiPz4soBuw78RlsK8ipIENALgF5h2gD0usfg20EARgNChOiDYAZAnIJyDvoUYbLAIqTMsWZiaLsDAD1WpkfxfkTZQAAAABJRU5ErkJggg==';
const COLOR_32 =
  'iVBORw0KGgoAAAANSUhEUgAAACAAAAAgCAYAAABzenr0AAABpElEQVR42s2XMUvDQBTH7xPkC2Vxy+BHiIOOgouLBrqJIA5dRRBx7dJJcHFwELrpKEikokRpg6UWSonRevoveeWSNMlR73I+OEK4Nv/fe/93xx2zXZ8Jw7Jd37Ndv/P7jGzX54pGlHzTSzTmmqK4Y7t+qFC0aISJVgrAUZyxTEUcArBqynxRJSyW+MINDY8lzWEKoMNq9j7XC0zXx9uX77x5Flb+jukSp6iCYDrFEXivDSArjtg+fKkHYJE4Io6/SyGYrrLDexkIpiNzajyCGI6++NrO0/IAu81Xfns3mWWC6A8+eetiyM+vRinhbvCRgzg46ReKSwEUeZsN6nY8q3yXBjhtD6TEUQnxf2UZSwOsbnbnJScfj1tvfO+ox69vxikA2LFsDxUCwDsxNhrPqXkRAj2hHEAsf9CLc/OohBjKAVBuivFkylfWHwrnYZVygK39INflBAE70BMUWKLKATDuH6MUBCoBO7KBfUILAJaTmGnZ+tcCQBDZSpDvaNS/buXSRzL0BBoPolii2CdUHcmMH0qNH8uNX0yMX83+xeXU2PX8Bx3MYyRgf2/tAAAAAElFTkSuQmCC';
/** Window icon (Linux task bars; macOS and Windows use the bundle icon). */
const COLOR_256 =
  'iVBORw0KGgoAAAANSUhEUgAAAQAAAAEACAYAAABccqhmAAAMcElEQVR42u3dvYtc1xnHcXXTqdtuO5X6C8Q0022RPs1sYVch2ylFXNgQkUak0BYChYAJBuNCLKhYB4TAkC3SJMUaQlhDmMVJHMcv68TyEkfZCCcTPeJOPFn2ZXbmvpxzz+fAF4SYnZcz9/ede895zrnXhuPJtYxZH44nG8PxZGs4nmwPx5Od4XiyPxxPDl7839FwPJkCNXBUHVP71TG2XR1zG9UxmG2Gcnqzg+F4Mnrx7zvD8eSJgCMxQTypjs1RdawSQA2sVabdHY4nJw40ZMJJdcxuVccwAVyB68PxZHM4nuw5kNAT9qpj+joBnM/NF7Z8MBxPjh0w6CnH1TF+kwC+ZVRdPzlAUBJPqmO/WAGMnOYDLzMwKkkAN6qpFF8+8C07VTZ6K4CYGrlrNB+4cPbgbpvTiG2F/9ZwPDn0BQMLcVhlJnsBzH71fanA1Wn8bKDpa/19XyKwEvtNjg00Ff4NpbpAraXGG7kI4LYvDGiE26kL4IEvCWiUBykKYKCaD2i1inCQigCEH8hUAsIPFCyBVQUg/ED3EuhEAAb8gMwHBk31AQVPES5b5KPDgfTYaFoAN1T4AUlXDN5oSgADtf1AFmsHBk0IwKo+IJ9VhLUK4JZOBbLiVl0CGNjMA8hyU5FBHQJw6g/09FJgkVF/e/gBeXJy2azAZQKwey+QNzvLCmCk84BeMFpGAG7aAfSDvasKwK8/UMBZgGW+QMHLhs+7S68OA/rHzUUEYJ0/UMi+AafDf726h7nOAvrHcZXxcwWwqZOAXrN5kQBM/QEFTQnOh39N5wBFsHaWALZ0DFAEW2cJYFfHAEWwe1oAA6v+gKJWCQ7mBaD0FyiwNHgmgDs6BCiKO/MCUPsPFLg2YCYAe/0DZXE0E8C6zgCKZN2tvoBy2VAABBRcEBQC2NYRQJFs2/kXKJeda274CRTLfgjgQEcARXKgBgAouBbgmk4AyoUA0Etu/+Qv04ePn+oLAkCJ4X/+/D/TaI/e+0qfEABKDP+skQABoNDwkwABoPDwkwABoPDwkwABoPDwkwABoPDwkwABoPDwkwABoPDwkwABoPDwkwABoPDwly4BAkDx4S9ZAgQA4S9YAgQA4S9YAgQA4S9YAgQA4T+nlbCfAAFA+M9o8frxPggAEH4CAISfAADhJwBA+AkAEH4CAISfAADhJwAg/fBH+/FPP7MhiAMSJYY/2ocf/2v6ne9/SABAaeEnAQJA4eEnAQJA4eEvXQIEgOLDX7IECADCX7AECADCX7AECADCX7AECADCX7AECADCX7AECADCX7AECADCX7AECADCX7AECADZL+lt8z30TQIEgOzX87f9XvokAQJALzbzIAECQOE7+ZAAAaDwbbxIgABQ+B5+JEAAKDT8JEAAKDz8JEAAKDz8XX2Gnz38KwFA+Otq9946yuazPHrvK5cAEP4629Pjb6abP/xT8p8px/ATALKo7U9dArmGnwCQzcKeVCWQc/gJAFmt6ktNArmHnwCQ3ZLeVCTQh/ATALJcz9+1BPoSfgLomO/+4I8vD+R54v+EP10J9Cn8BNACr77+0fTum59PHz5+Ov3V/tcvq8UWOeDiMfHY+Jv423iOeC7h704CfQs/ATT0q37/nS+mv/ntP6ZfP/t37Qd9PGc8d7zGsmcLfdrGqy0J9DH8BFBj6KME9OPPnrcegHjNeO1FZdDHPfyalkBfw08AK/LavU9e/hqn0uK9xHsqcQPPpiTQ5/ATwJK8cf/Tl9fnqbZ4b/EeS9u9t24J9D38BNCz4J8lgjgjSGVVXxtnTHVJoI7nIICeEAfD+x88m2rLh3+2pHf0ymE2EiCAwomD9eeP/lbMjS+aDv98vzYtgZg2dQwTwEoj+7//w4kE1xz+NiRQxx4CBFD4tX4Tc/jC37wEhJ8AVuLtd7+U3hbC34QEhJ8AVrre/+Wv/y69LYa/TgkIPwGsFP6UCnpKCn8d34HwE4DwZxz+Vb4L4ScA4e9B+Jf5ToSfAFbCNX9a4b+KBISfAIz29zD8i0hA+Alg5Xl+Ld3wXyQB4SeAlSv8FPmkH/6zJCD8BLDywaS8N5/wz39vF+1zAAJYiFjYo+UVfhBAbUt6reoTfhQqAOv5V2vCTwBG/QtursEJINuBv5y28Uq1RR8KDAFkR+wMo9XTTm80CgJInlR//efv/BMlycFV7hzkLAAEkNm1f9QgxE08vvejP1/63uMx8djU6haMBRBANqSy0i9+3VfZpTb+NpWFS9GngkMAWZT8dt1+N/lnrdtTx3PFc3bd2ryDMQggu6q/uIaP0/emPls8d5fjBE1+NhBALXRxo85pdffeNopm4jW6WtQUfSs8BJB02W9X4W/zjjTxWl1JwGUAASTL/Xe+KKZWvqv7/kUfCxABGP1P4Lo4XttsAAigou3T4hiZ7/oztz07EH0sQASQHK++/lHrv4Yp3Im2i3GP6GshIoCia/9/sXdc7C7H7sBLAMnx8PHT4n79uzoLiL4WIgIodgAwhWv/07S5diAWLwkRARS7+i/FqbA2ZwSsDiSA5Ch9ECxWEbZZ+yBEBFCkAFI++NssDBIiAihyECzl0982L4OUBBNAkQKIKbdU+yEG50qcBQEBEEDL9QAEQAAEQAAgAAJwCQACMAhoEBAEYBrQNCAIQCGQQiAQgFJgpcAgAIuBLAYCAVgObDkwCMCGIDYEAQHkvSVYDITZEgwEkBBtbwr6/gfPOv/MNgUFAXQwEDhrtgUHASSCG4OUOQUKAujsejja0+Nv3BoMBJACXd0cNCTg5qAggI5xe/B+jneAABYiTlG7bjE7UOclQTxX26P9Tv8JwGzAimcDUSy0igjib+M5UmhG/wkgG964/+k0pRa/3jF6vkgBTTwmHpvCL/58e+3eJ4JDAFYH1nFmEO8tynfnif/r8vre6j8C6BX33jqaavW0OKMSGgLIitErh8meBeTU/PoTgLEAv/4ggDyJKTkt38VOIICV59BTHVxLuaWy3BkEkHV1YK4t+kxQCKA3A4Jt7pmXe4u+ij4TFALoVYlwV4tocmrRR0p+CcCsgFF/EED/ePvdL6X8nBZ9IxwE0HvavIlmLi3lm56CAGofFExhxWAqLfrCoB8BkIDwgwBIQPhBAAVJoMQxgbjmF34CQIGzA0b7QQDn1An0uVgoPpt5fhDAJRWDfSwbjs+kwg8EsOC4QCyG6cMqwvgM8Vlc74MAllhKnPN+AnVvTw4CKHZsIKftxeK9utYHAdR8WRAbjaYsgnhvd9/83Ok+CKDpM4KUCojivfjFx1UFcKQjVp8xiAG2Lm5IGq8Zr21kH0twFAI40BH1DhjGHX3i17iJWoJ4znjueA0De1iRgxDAvo5ojrjFV1yPP3z89GVwrzJ2EI+Nv4m/jedY5JZiwBXYDwHs6IjuzhbOQt+gJXZCANs6AiiS7RDAlo4AimQrBLChI4Ai2QgBrOsIoEjWQwBqAYACawAi+zMBPNEhQFE8mRfAHR0CFMWdeQGMdAhQFKN5AQyG48mJTgGK4KTK/P8EEOzqGKAIdme5nxeAgiCgkAKgswSwpmOAIlg7SwDBns4Bes3efOZPC2BTBwG9ZvMiAVwfjifHOgnoJcdVxs8VQPBARwG95MHpvJ8lgJs6CuglNxcRgLUBQE9r/xcVgNJgoIelv4sKwJQg0NOpv0UF4CwA6PGv/2UCsGMwkD87F2X8MgHcsEoQyHrV341VBBDc1ZFAlty9LN+LCCDWDR/qTCArDmdr/lcVQHBLhwJZcWuRbC8qAJcCQI9O/ZcRwMCNRIHk2V/k1H8ZAcxmBdxDAEiTo8tG/VcVgFuJAemycdU8LyOA4LbOBpLi9jJZXlYA9g0AEl7n34YALBsGEl3m25YABiQAdBr+QZcCIAEg0/DXJQASADIMf50CMDAIJD7g14YATBECiU31tS2AWbGQikGgvgq/jSay2pQAZmXD1g4Aq9f232gqp00KYDY4aBUhsPyqvkGTGW1aAPP7CdhUBFh8M49bbWSzLQHMnw3YYxA4m5M2fvW7EsD82IDdhoH/Z6fJa/2UBDB/3wE3H0Hp7F20b3+fBTAvAlWEKLGab9R1/lIQwPxdiR9U9zB3gKCPHFfH+M1UcpeSAGZcH44nmy4P0LPT/M3q2E4qbykKYJ614XiyNRxPds0eILPR/N3q2F1LOWOpC+D0NGJcM92prp+UGiOlUt0n1bE5anMaryQBnMV6VSMdpt2uplKidPKAIFBzwA+qY2unOta2qmNvPecM/RehT7j7QpBHyQAAAABJRU5ErkJggg==';

const png = (base64: string): string => `data:image/png;base64,${base64}`;

/** The tray icon's representations for this platform: 1x and 2x where the platform uses both. */
function trayRepresentations(): { scaleFactor: number; dataURL: string }[] {
  if (process.platform === 'darwin')
    return [
      { scaleFactor: 1, dataURL: png(TEMPLATE_16) },
      { scaleFactor: 2, dataURL: png(TEMPLATE_32) },
    ];
  if (process.platform === 'win32')
    return [
      { scaleFactor: 1, dataURL: png(COLOR_16) },
      { scaleFactor: 2, dataURL: png(COLOR_32) },
    ];
  // Linux (StatusNotifierItem / AppIndicator) scales the image to the panel size itself.
  return [{ scaleFactor: 1, dataURL: png(COLOR_32) }];
}

/** The tray icon, marked for its state (see icon-marks.ts). */
export function trayIcon(state: TrayIconState = 'normal'): NativeImage {
  const image = nativeImage.createEmpty();
  for (const { scaleFactor, dataURL } of trayRepresentations()) {
    const source = nativeImage.createFromDataURL(dataURL);
    if (state === 'normal') {
      image.addRepresentation({ scaleFactor, dataURL });
      continue;
    }
    const { width, height } = source.getSize();
    image.addRepresentation({
      scaleFactor,
      width,
      height,
      buffer: markIconBitmap(source.toBitmap(), width, height, state),
    });
  }
  if (process.platform === 'darwin') image.setTemplateImage(true);
  return image;
}

export function windowIcon(): NativeImage {
  return nativeImage.createFromDataURL(png(COLOR_256));
}
