import { useId } from 'react';

/** A labelled select whose first option (`any`, value "") filters nothing. */
export function SelectFilter<V extends string>({
  label,
  value,
  onChange,
  any,
  options,
}: {
  label: string;
  value: V | '';
  onChange: (value: V | '') => void;
  any: string;
  options: readonly { value: V; label: string }[];
}) {
  const id = useId();
  return (
    <div className="field">
      <label className="label" htmlFor={id}>
        {label}
      </label>
      <select id={id} value={value} onChange={(e) => onChange(e.target.value as V | '')}>
        <option value="">{any}</option>
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    </div>
  );
}
